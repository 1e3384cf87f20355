/*!
 * supportbot dashboard: building elements and formatting figures. Everything from the server goes in as text
 * (``h``), and a figure that is null (an empty denominator) is shown as a dash, never as 0.
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) if (value !== null && value !== undefined && value !== false) el.setAttribute(name, String(value));
  el.append(...children.filter((c) => c !== null && c !== undefined).map((c) => (typeof c === "object" ? c : String(c))));
  return el;
}
export const str = (value) => (typeof value === "string" ? value : "");
export const num = (value) => (typeof value === "number" && Number.isFinite(value) ? value : null);
export const obj = (value) => (value && typeof value === "object" && !Array.isArray(value) ? value : {});
export const list = (value) => (Array.isArray(value) ? value.filter((v) => v && typeof v === "object") : []);
export const humanize = (value) => str(value).replace(/_/g, " ");
export const DASH = "—";

export const fmtInt = (v) => (num(v) === null ? DASH : Math.round(v).toLocaleString("en-US"));
export const fmtPct = (v) => (num(v) === null ? DASH : `${(v * 100).toFixed(1)}%`);
export const fmtFixed = (v, digits) => (num(v) === null ? DASH : v.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits }));
export function fmtMs(v) {
  if (num(v) === null) return DASH;
  return v < 1000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(2)} s`;
}
export function fmtSeconds(v) {
  if (num(v) === null) return DASH;
  if (v < 60) return `${v < 10 ? v.toFixed(1) : Math.round(v)} s`;
  const total = Math.round(v);
  if (total < 3600) return `${Math.floor(total / 60)} min ${total % 60} s`;
  return `${Math.floor(total / 3600)} h ${Math.floor((total % 3600) / 60)} min`;
}
export function fmtMoney(v, currency) {
  if (num(v) === null) return DASH;
  return `${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: v < 1 ? 4 : 2 })} ${str(currency)}`.trim();
}
export function fmtBytes(v) {
  if (num(v) === null) return DASH;
  return v >= 2 ** 30 ? `${(v / 2 ** 30).toFixed(1)} GiB` : `${(v / 2 ** 20).toFixed(0)} MiB`;
}
export const two = (n) => String(n).padStart(2, "0");
export const clockTime = (d) => `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;

// Calendar arithmetic on YYYY-MM-DD strings (no time zone involved).
export function addDays(day, n) {
  const [y, m, d] = day.split("-").map(Number);
  const t = new Date(Date.UTC(y, m - 1, d + n));
  return `${t.getUTCFullYear()}-${two(t.getUTCMonth() + 1)}-${two(t.getUTCDate())}`;
}
export function todayIn(zone) {
  try {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(new Date()).map((p) => [p.type, p.value]));
    return `${parts.year}-${parts.month}-${parts.day}`;
  } catch (e) {
    const t = new Date();
    return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())}`;
  }
}
export function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { return ""; }
}
export function localTime(iso, zone) {
  const t = typeof iso === "string" ? Date.parse(iso) : NaN;
  if (Number.isNaN(t)) return str(iso);
  try {
    return new Date(t).toLocaleString("en-GB", { timeZone: zone, dateStyle: "medium", timeStyle: "short" });
  } catch (e) {
    return new Date(t).toLocaleString();
  }
}
