/*!
 * supportbot dashboard: the charts over time (Chart.js, vendored under static/supportbot/vendor/).
 */
import { str, num, DASH, addDays } from "./dashboard-format.js";

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_CHART_DAYS = 400; // longer windows chart only the days that have conversations
const COLORS = { conversations: "#1f2937", escalated: "#dc2626", containment: "#15803d", csat: "#2563eb" };

// The three charts over time (Chart.js, vendored), on the given canvases.
export function makeCharts(canvases) {
  const base = (y) => ({
    animation: false, responsive: true, maintainAspectRatio: false,
    interaction: { mode: "index", intersect: false },
    plugins: { legend: { position: "bottom" } },
    scales: { x: { ticks: { maxRotation: 0, autoSkip: true } }, y },
  });
  // A day without conversations has no rate: a gap in the line, not a point at 0.
  const line = (label, color) => ({ label, data: [], borderColor: color, backgroundColor: color, spanGaps: false, pointRadius: 3, clip: 6 });
  const percent = { min: 0, max: 100, ticks: { callback: (v) => `${v}%` } };
  return {
    volume: new window.Chart(canvases.volume, {
      type: "bar",
      data: { labels: [], datasets: [
        { label: "Conversations", data: [], backgroundColor: COLORS.conversations },
        { label: "Escalated", data: [], backgroundColor: COLORS.escalated },
      ] },
      options: base({ beginAtZero: true, ticks: { precision: 0 } }),
    }),
    rates: new window.Chart(canvases.rates, {
      type: "line",
      data: { labels: [], datasets: [line("Escalation rate", COLORS.escalated), line("Containment rate", COLORS.containment)] },
      options: { ...base(percent), plugins: { legend: { position: "bottom" }, tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y === null ? DASH : c.parsed.y.toFixed(1) + "%"}` } } } },
    }),
    csat: new window.Chart(canvases.csat, {
      type: "line",
      data: { labels: [], datasets: [line("CSAT mean", COLORS.csat)] },
      options: base({ min: 1, max: 5 }),
    }),
  };
}

// Days from `from` up to `to` (exclusive, YYYY-MM-DD); days without conversations are drawn too.
export function renderDailyCharts(charts, days, from, to) {
  const byDay = new Map(days.filter((d) => DATE.test(str(d.day))).map((d) => [d.day, d]));
  let labels = [...byDay.keys()].sort();
  const span = (Date.parse(to) - Date.parse(from)) / 86400000;
  if (span > 0 && span <= MAX_CHART_DAYS) {
    labels = [];
    for (let day = from; day < to; day = addDays(day, 1)) labels.push(day);
  }
  const row = (day) => byDay.get(day) || {};
  const pct = (v) => (num(v) === null ? null : v * 100);
  const set = (chart, ...series) => {
    chart.data.labels = labels;
    series.forEach((values, i) => { chart.data.datasets[i].data = values; });
    chart.update("none");
  };
  set(charts.volume, labels.map((d) => num(row(d).conversations) ?? 0), labels.map((d) => num(row(d).escalated) ?? 0));
  set(charts.rates, labels.map((d) => pct(row(d).escalation_rate)), labels.map((d) => pct(row(d).containment_rate)));
  set(charts.csat, labels.map((d) => num(row(d).csat_mean)));
}
