/*!
 * supportbot dashboard: headline figures, charts, breakdowns, the engine panel and drill-down lists from /dashboard/api/*.
 * The page (templates/dashboard/index.html) holds the layout and, in data- attributes, the configuration: no inline script,
 * style or handler, so it runs under a strict Content-Security-Policy. Everything from the server is inserted as text.
 * Figures and their meaning: docs/metrics.md. A null figure (empty denominator) is shown as "—", never as 0.
 */
import { h, str, num, obj, list, humanize, DASH, fmtInt, fmtPct, fmtFixed, fmtMs, fmtSeconds, fmtMoney, fmtBytes, clockTime, addDays, todayIn, browserZone, localTime } from "./dashboard-format.js";
import { makeCharts, renderDailyCharts } from "./dashboard-charts.js";

(() => {
  const root = document.getElementById("dashboard");
  const config = {
    defaultTz: root.dataset.defaultTz || "UTC",
    urls: {
      summary: root.dataset.summaryUrl, daily: root.dataset.dailyUrl, tables: root.dataset.tablesUrl,
      conversations: root.dataset.conversationsUrl, engine: root.dataset.engineUrl, export: root.dataset.exportUrl,
    },
    refreshMs: (Number(root.dataset.refreshSeconds) || 30) * 1000,
  };
  const DEFAULT_DAYS = 30;
  const DRILL_PAGE = 50;
  const COMMON_ZONES = ["UTC", "Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "America/New_York",
    "America/Chicago", "America/Denver", "America/Los_Angeles", "America/Sao_Paulo", "Asia/Kolkata", "Asia/Singapore",
    "Asia/Tokyo", "Australia/Sydney"];
  const DATE = /^\d{4}-\d{2}-\d{2}$/;
  const ZONE = /^[A-Za-z0-9_+\-/]{1,64}$/;

  const $ = (id) => document.getElementById(id);
  const ui = {
    form: $("filters"), from: $("from"), to: $("to"), tz: $("tz"), language: $("language"), variant: $("variant"),
    export: $("export"), updated: $("updated"), banner: $("error-banner"), bannerText: $("error-text"), cards: $("cards"),
    chartsUnavailable: $("charts-unavailable"),
    tables: { language: $("table-language"), variant: $("table-variant"), arm: $("table-arm"), agents: $("table-agents"), costs: $("table-costs") },
    engine: $("table-engine"), engineStatus: $("engine-status"), engineErrors: $("engine-errors"),
    drill: $("drill"), drillHeading: $("drill-heading"), drillCount: $("drill-count"), drillList: $("drill-list"),
    drillStatus: $("drill-status"), drillMore: $("drill-more"), drillExport: $("drill-export"),
  };

  const state = {
    generation: 0, controller: null, timer: 0, lastRefresh: 0,
    seen: { language: new Set(), variant: new Set() }, // filter options met so far (a filtered table lists only its own value)
    charts: null,
    drill: { select: null, query: null, next: null, loading: false, generation: 0 },
  };

  // ------------------------------------------------------------------- params
  // The API's window: from = first day's midnight, to = the midnight after the last day (exclusive), both in tz.
  function params() {
    if (!DATE.test(ui.from.value) || !DATE.test(ui.to.value)) return null;
    if (ui.from.value > ui.to.value) return null;
    const query = new URLSearchParams({ from: ui.from.value, to: addDays(ui.to.value, 1), tz: ui.tz.value || config.defaultTz });
    if (ui.language.value) query.set("language", ui.language.value);
    if (ui.variant.value) query.set("variant", ui.variant.value);
    return query;
  }

  function initialForm() {
    const given = new URLSearchParams(location.search);
    const zone = ZONE.test(given.get("tz") || "") ? given.get("tz") : config.defaultTz;
    const zones = [[config.defaultTz, " (default)"], [browserZone(), " (this browser)"], [zone, ""], ...COMMON_ZONES.map((z) => [z, ""])];
    const shown = new Set();
    for (const [name, note] of zones) {
      if (!name || shown.has(name)) continue;
      shown.add(name);
      ui.tz.append(h("option", { value: name }, name + note));
    }
    ui.tz.value = zone;
    const from = given.get("from"), to = given.get("to");
    if (DATE.test(from || "") && DATE.test(to || "") && from < to) {
      ui.from.value = from;
      ui.to.value = addDays(to, -1);
    } else {
      ui.to.value = todayIn(zone);
      ui.from.value = addDays(ui.to.value, -(DEFAULT_DAYS - 1));
    }
    for (const name of ["language", "variant"]) {
      const value = given.get(name) || "";
      if (value && value.length <= 64) { state.seen[name].add(value); fillFilter(name); ui[name].value = value; }
    }
  }

  function fillFilter(name) {
    const select = ui[name];
    const keep = select.value;
    const values = [...state.seen[name]].sort();
    select.replaceChildren(h("option", { value: "" }, "All"), ...values.map((v) => h("option", { value: v }, v)));
    select.value = values.includes(keep) ? keep : "";
  }

  // -------------------------------------------------------------------- fetch
  class ApiError extends Error {}

  async function getJson(url, query, signal) {
    let response;
    try {
      response = await fetch(`${url}?${query}`, { credentials: "same-origin", headers: { Accept: "application/json" }, signal });
    } catch (e) {
      if (e.name === "AbortError") throw e;
      throw new ApiError("The server cannot be reached. The dashboard keeps trying.");
    }
    if (response.status === 401 || response.status === 403) throw new ApiError("Your session has expired or you are no longer an admin: reload the page to log in again.");
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) throw new ApiError(body && typeof body.error === "string" ? body.error : `The server answered ${response.status}.`);
    if (!body || typeof body !== "object") throw new ApiError("The server sent something that is not JSON.");
    return body;
  }

  function showError(text) {
    ui.bannerText.textContent = text;
    ui.banner.hidden = false;
  }
  function clearError() {
    ui.banner.hidden = true;
    ui.bannerText.textContent = "";
  }

  function schedule() {
    clearTimeout(state.timer);
    state.timer = setTimeout(() => { if (document.visibilityState === "hidden") schedule(); else refresh(); }, config.refreshMs);
  }

  async function refresh() {
    schedule();
    const query = params();
    if (query === null) { showError("Choose a From date on or before the To date."); return; }
    history.replaceState(null, "", `?${query}`);
    ui.export.href = `${config.urls.export}?${query}`;
    if (state.controller) state.controller.abort();
    const controller = new AbortController();
    state.controller = controller;
    const generation = ++state.generation;
    root.setAttribute("aria-busy", "true");
    const engine = getJson(config.urls.engine, new URLSearchParams(), controller.signal).then((v) => ({ ok: v }), (e) => ({ error: e }));
    try {
      const [summary, daily, tables] = await Promise.all(
        [config.urls.summary, config.urls.daily, config.urls.tables].map((url) => getJson(url, query, controller.signal)));
      if (generation !== state.generation) return;
      renderCards(summary);
      if (!state.charts) {
        if (typeof window.Chart !== "function") ui.chartsUnavailable.hidden = false;
        else state.charts = makeCharts({ volume: $("chart-volume"), rates: $("chart-rates"), csat: $("chart-csat") });
      }
      if (state.charts) renderDailyCharts(state.charts, list(daily.days), query.get("from"), query.get("to"));
      renderTables(tables);
      clearError();
      state.lastRefresh = Date.now();
      ui.updated.textContent = `updated ${clockTime(new Date())}`;
      ui.updated.dataset.generation = String(generation);
    } catch (e) {
      if (e.name === "AbortError" || generation !== state.generation) return;
      showError(e instanceof ApiError ? e.message : `Something went wrong: ${e.message}`);
    } finally {
      if (generation === state.generation) root.removeAttribute("aria-busy");
    }
    const answer = await engine;
    if (generation === state.generation && !(answer.error && answer.error.name === "AbortError")) renderEngine(answer.ok || null);
  }

  // -------------------------------------------------------------------- cards
  // A count that has a drill-down list: a button, unless it is zero or unknown.
  function drillNum(count, select, label) {
    if (num(count) === null || count === 0 || !select) return h("span", { class: "n" }, fmtInt(count));
    return h("button", { type: "button", class: "n drill-num", "data-select": select, "data-label": label, "data-testid": `drill-${select}`,
      title: "Show these conversations" }, fmtInt(count));
  }
  const ratio = (numerator, denominator) => h("span", { class: "ratio" }, numerator, " / ", fmtInt(denominator));

  function card(testid, title, value, ...lines) {
    return h("article", { class: "card", "data-testid": testid },
      h("h3", { class: "card-title" }, title),
      h("p", { class: "card-value", "data-testid": `${testid}-value` }, value),
      ...lines.filter(Boolean).map((line) => (line.tagName === "UL" ? line : h("p", { class: "card-line" }, ...(Array.isArray(line) ? line : [line])))));
  }
  function small(items) {
    return items.length ? h("ul", { class: "card-list" }, ...items.map((parts) => h("li", {}, ...parts))) : null;
  }
  const dist = (d, key = "p50") => obj(d)[key];

  function renderCards(s) {
    const esc = obj(s.escalation_rate), before = obj(esc.before_bot_reply);
    const cont = obj(s.containment_rate), csat = obj(s.csat);
    const bot = obj(s.bot_response_ms), first = obj(bot.first_token), complete = obj(bot.complete);
    const handling = obj(s.handling_time_s), human = obj(s.first_human_response_s), safety = obj(s.safety);
    const per1000 = obj(safety.per_1000_messages), block = obj(per1000.block), escalate = obj(per1000.escalate);
    const tokens = obj(s.tokens), total = obj(tokens.total), cost = obj(s.cost);
    const perResolved = obj(cost.per_resolved_conversation), perMillion = obj(cost.per_1m_tokens);
    const resolved = num(s.resolved) ?? num(cont.denominator);
    const open = num(s.open) ?? num(cont.open);
    const allTokens = num(total.prompt) === null && num(total.completion) === null ? null : (num(total.prompt) || 0) + (num(total.completion) || 0);

    ui.cards.replaceChildren(
      card("card-conversations", "Conversations", drillNum(s.conversations, "started", "Conversations started"),
        ["resolved ", drillNum(resolved, "resolved", "Resolved conversations"), " · open ", drillNum(open, "open", "Open conversations")]),
      card("card-escalation", "Escalation rate", fmtPct(esc.value),
        [ratio(drillNum(esc.numerator, "escalated", "Escalated conversations"), esc.denominator), " conversations escalated"],
        ["before any bot reply: ", h("strong", { "data-testid": "escalated-before-bot" }, fmtPct(before.value)), " (",
          ratio(drillNum(before.numerator, "escalated_before_bot_reply", "Escalated before any bot reply"), before.denominator), ")"],
        small(Object.entries(obj(esc.by_reason)).map(([reason, n]) =>
          [humanize(reason) || "(no reason)", ": ", drillNum(n, reason ? `reason:${reason}` : null, `Escalated: ${humanize(reason)}`)]))),
      card("card-containment", "Containment", fmtPct(cont.value),
        [ratio(drillNum(cont.numerator, "contained", "Contained conversations (resolved without a person)"), cont.denominator), " resolved without a person"],
        ["open: ", drillNum(open, "open", "Open conversations")],
        small(Object.entries(obj(cont.by_resolve_reason)).map(([reason, r]) =>
          [humanize(reason) || "(none)", ": ", fmtPct(obj(r).value), " of ",
            drillNum(obj(r).denominator, reason ? `resolve_reason:${reason}` : null, `Resolved: ${humanize(reason)}`)]))),
      card("card-csat", "CSAT", num(csat.mean) === null ? DASH : `${fmtFixed(csat.mean, 2)} / 5`,
        [drillNum(csat.responses, "csat_responses", "Rated conversations"), " responses / ", fmtInt(csat.requested), " requested"],
        ["response rate ", fmtPct(obj(csat.response_rate).value), " (", ratio(fmtInt(obj(csat.response_rate).numerator), obj(csat.response_rate).denominator), ")"],
        ["top-2 share ", fmtPct(obj(csat.top2_share).value), " (", ratio(fmtInt(obj(csat.top2_share).numerator), obj(csat.top2_share).denominator), ")"],
        small(Object.entries(obj(csat.by_segment)).map(([segment, c]) =>
          [humanize(segment), ": ", num(obj(c).mean) === null ? DASH : fmtFixed(obj(c).mean, 2), " (n=", fmtInt(obj(c).responses), ")"]))),
      card("card-bot-latency", "Bot response", fmtMs(dist(first)),
        ["first token p50 ", fmtMs(dist(first)), " · p90 ", fmtMs(dist(first, "p90")), " (n=", fmtInt(first.n), ")"],
        ["complete p50 ", fmtMs(dist(complete)), " · p90 ", fmtMs(dist(complete, "p90")), " (n=", fmtInt(complete.n), ")"]),
      card("card-handling", "Handling time (p50)", fmtSeconds(dist(handling.all)),
        ["bot only ", fmtSeconds(dist(handling.bot_only)), " (n=", fmtInt(obj(handling.bot_only).n), ")"],
        ["escalated ", fmtSeconds(dist(handling.escalated)), " (n=", fmtInt(obj(handling.escalated).n), ")"]),
      card("card-first-response", "First human response (p50)", fmtSeconds(human.p50),
        ["p90 ", fmtSeconds(human.p90), " (n=", fmtInt(human.n), " answered)"],
        ["unanswered: ", fmtInt(human.unanswered), " of ", fmtInt(human.cycles), " escalation cycles"]),
      card("card-safety", "Safety decisions / 1,000 messages", fmtFixed(num(block.value) === null && num(escalate.value) === null ? null
        : (num(block.value) || 0) + (num(escalate.value) || 0), 1),
        ["blocked ", fmtFixed(block.value, 1), " (", ratio(fmtInt(block.numerator), block.denominator), ")"],
        ["escalated ", fmtFixed(escalate.value, 1), " (", ratio(fmtInt(escalate.numerator), escalate.denominator), ")"],
        [fmtInt(safety.customer_messages), " customer messages"]),
      card("card-cost", "Tokens and cost", fmtInt(allTokens),
        ["prompt ", fmtInt(total.prompt), " · completion ", fmtInt(total.completion)],
        ["engine time ", fmtSeconds(tokens.engine_seconds)],
        ["cost ", fmtMoney(cost.total, cost.currency), num(cost.gpu_hour_price) ? ` (${fmtMoney(cost.gpu_hour_price, cost.currency)} per GPU-hour)` : " (no GPU-hour price set)"],
        ["per resolved conversation ", fmtMoney(perResolved.value, cost.currency), " (n=", fmtInt(perResolved.denominator), ")"],
        ["per 1M tokens ", fmtMoney(perMillion.value, cost.currency)]),
    );
  }

  // ------------------------------------------------------------------- tables
  // columns: [[heading, row => cell content, numeric?]]
  function renderTable(table, columns, rows, empty) {
    const head = h("thead", {}, h("tr", {}, ...columns.map(([label, , numeric]) => h("th", { scope: "col", class: numeric ? "num" : null }, label))));
    const body = h("tbody", {}, ...(rows.length ? rows.map((r) =>
      h("tr", {}, ...columns.map(([, cell, numeric]) => h("td", { class: numeric ? "num" : null }, cell(r)))))
      : [h("tr", {}, h("td", { colspan: columns.length, class: "empty" }, empty))]));
    table.replaceChildren(head, body);
  }
  const rateCell = (r) => { const x = obj(r); return h("span", {}, fmtPct(x.value), " ", h("span", { class: "ratio" }, `(${fmtInt(x.numerator)}/${fmtInt(x.denominator)})`)); };
  const meanCell = (mean, n) => h("span", {}, num(mean) === null ? DASH : fmtFixed(mean, 2), " ", h("span", { class: "ratio" }, `(n=${fmtInt(n)})`));
  const keyLabel = (key) => (key === null || key === undefined || key === "" ? "(none)" : String(key));

  function breakdownColumns(kind, title) {
    return [
      [title, (r) => keyLabel(r.key)],
      ["Conversations", (r) => drillNum(r.conversations, r.key ? `${kind}:${r.key}` : null, `${title}: ${keyLabel(r.key)}`), true],
      ["Escalation", (r) => rateCell(r.escalation_rate), true],
      ["Containment", (r) => rateCell(r.containment_rate), true],
      ["CSAT", (r) => meanCell(r.csat_mean, r.csat_responses), true],
      ["Handling (mean)", (r) => fmtSeconds(r.handling_mean_s), true],
      ["Engine time", (r) => fmtSeconds(r.engine_seconds), true],
    ];
  }

  function renderTables(t) {
    const none = "No conversations in this window.";
    renderTable(ui.tables.language, breakdownColumns("language", "Language"), list(t.language), none);
    renderTable(ui.tables.variant, breakdownColumns("variant", "Variant"), list(t.variant), none);
    renderTable(ui.tables.arm, breakdownColumns("arm", "Arm"), list(t.arm), none);
    renderTable(ui.tables.agents, [
      ["Agent", (r) => str(r.agent) || DASH],
      ["Conversations", (r) => drillNum(r.conversations, num(r.agent_id) === null ? null : `agent:${r.agent_id}`, `Conversations last handled by ${str(r.agent)}`), true],
      ["Cycles", (r) => fmtInt(r.cycles), true],
      ["Answered", (r) => fmtInt(r.answered_cycles), true],
      ["First response (mean)", (r) => fmtSeconds(r.first_response_mean_s), true],
      ["Wait to claim (mean)", (r) => fmtSeconds(r.wait_mean_s), true],
      ["Time in chats", (r) => fmtSeconds(r.agent_time_s), true],
      ["Transfers", (r) => fmtInt(r.transfers), true],
      ["CSAT", (r) => meanCell(r.csat_mean, r.csat_responses), true],
    ], list(t.agents), "No escalations handled by agents in this window.");
    renderTable(ui.tables.costs, [
      ["Variant", (r) => keyLabel(r.variant)],
      ["Prompt tokens", (r) => fmtInt(obj(obj(r.tokens).total).prompt), true],
      ["Completion tokens", (r) => fmtInt(obj(obj(r.tokens).total).completion), true],
      ["Engine hours", (r) => fmtFixed(obj(r.cost).engine_hours, 3), true],
      ["Cost", (r) => fmtMoney(obj(r.cost).total, obj(r.cost).currency), true],
      ["Per 1M tokens", (r) => fmtMoney(obj(obj(r.cost).per_1m_tokens).value, obj(r.cost).currency), true],
      ["Per resolved conversation", (r) => h("span", {}, fmtMoney(obj(obj(r.cost).per_resolved_conversation).value, obj(r.cost).currency), " ",
        h("span", { class: "ratio" }, `(n=${fmtInt(obj(obj(r.cost).per_resolved_conversation).denominator)})`)), true],
    ], list(t.variant_costs), none);
    for (const name of ["language", "variant"]) {
      let changed = false;
      for (const r of list(t[name])) {
        if (typeof r.key === "string" && r.key && r.key.length <= 64 && !state.seen[name].has(r.key)) { state.seen[name].add(r.key); changed = true; }
      }
      if (changed) fillFilter(name);
    }
  }

  // ------------------------------------------------------------------- engine
  function renderEngine(data) {
    if (data === null) {
      ui.engine.replaceChildren();
      ui.engineErrors.replaceChildren();
      ui.engineStatus.textContent = "engine metrics unavailable";
      ui.engineStatus.hidden = false;
      return;
    }
    const workers = list(data.workers);
    const errors = Array.isArray(data.errors) ? data.errors.map(str).filter(Boolean) : [];
    ui.engineErrors.replaceChildren(...errors.map((e) => h("li", {}, e)));
    ui.engineStatus.hidden = workers.length > 0;
    ui.engineStatus.textContent = workers.length ? "" : "No engine workers are reporting.";
    if (!workers.length) { ui.engine.replaceChildren(); return; }
    const asOf = (w) => { const t = Date.parse(str(w.as_of)); return Number.isNaN(t) ? DASH : clockTime(new Date(t)); };
    const seconds = (d, key) => fmtMs(num(obj(d)[key]) === null ? null : obj(d)[key] * 1000);
    renderTable(ui.engine, [
      ["Worker", (w) => str(w.worker) || DASH],
      ["Variant", (w) => str(w.variant) || DASH],
      ["Queue", (w) => fmtInt(w.queue_depth), true],
      ["Running", (w) => fmtInt(w.running), true],
      ["Waiting", (w) => fmtInt(w.waiting), true],
      ["Tokens/s", (w) => fmtFixed(w.tokens_per_second, 1), true],
      ["TTFT p50 / p95", (w) => `${seconds(w.ttft_s, "p50")} / ${seconds(w.ttft_s, "p95")}`, true],
      ["Inter-token p50 / p95", (w) => `${seconds(w.inter_token_s, "p50")} / ${seconds(w.inter_token_s, "p95")}`, true],
      ["GPU memory", (w) => fmtBytes(w.gpu_memory_bytes), true],
      ["Redelivered", (w) => fmtInt(w.redelivered), true],
      ["As of", asOf, true],
    ], workers, "");
  }

  // --------------------------------------------------------------- drill-down
  function openDrill(select, label) {
    const query = params();
    if (query === null) return;
    query.set("select", select);
    const d = state.drill;
    Object.assign(d, { select, query, next: null, loading: false, generation: d.generation + 1 });
    ui.drillHeading.textContent = label || select;
    ui.drillCount.textContent = "Loading…";
    ui.drillList.replaceChildren();
    ui.drillStatus.hidden = true;
    ui.drillMore.hidden = true;
    ui.drillExport.href = `${config.urls.export}?${query}`;
    if (!ui.drill.open) {
      if (typeof ui.drill.showModal === "function") ui.drill.showModal(); else ui.drill.setAttribute("open", "");
    }
    loadDrill(0);
  }

  function conversationUrl(item) {
    const url = str(item.url);
    return /^\/(?!\/)/.test(url) ? url : `/agent/#conversation=${encodeURIComponent(str(item.public_id))}`;
  }

  function drillItem(item, zone) {
    const id = str(item.public_id);
    const facts = [
      localTime(item.started_at, zone),
      str(item.language).toUpperCase(),
      humanize(item.state),
      item.escalation_reason ? `escalated: ${humanize(item.escalation_reason)}` : "",
      item.resolve_reason ? `resolved: ${humanize(item.resolve_reason)}` : "",
      num(item.csat_rating) === null ? "" : `rated ${item.csat_rating}/5`,
    ].filter(Boolean);
    return h("li", { class: "drill-item" },
      h("a", { href: conversationUrl(item), "data-testid": "drill-link", "data-conversation": id }, id.slice(0, 8) || "(unknown)"),
      h("span", { class: "drill-meta" }, facts.join(" · ")));
  }

  async function loadDrill(offset) {
    const d = state.drill;
    if (d.loading) return;
    d.loading = true;
    const generation = d.generation;
    const query = new URLSearchParams(d.query);
    query.set("limit", String(DRILL_PAGE));
    query.set("offset", String(offset));
    ui.drillMore.disabled = true;
    try {
      const data = await getJson(config.urls.conversations, query);
      if (generation !== d.generation) return;
      const items = list(data.conversations);
      const count = num(data.count);
      ui.drillCount.textContent = count === 1 ? "1 conversation" : `${fmtInt(count)} conversations`;
      ui.drillList.append(...items.map((item) => drillItem(item, d.query.get("tz"))));
      d.next = Number.isInteger(data.next_offset) ? data.next_offset : null;
      ui.drillMore.hidden = d.next === null;
      ui.drillStatus.hidden = ui.drillList.children.length > 0;
      ui.drillStatus.textContent = ui.drillList.children.length ? "" : "No conversations.";
    } catch (e) {
      if (generation !== d.generation) return;
      ui.drillCount.textContent = "";
      ui.drillStatus.textContent = e instanceof ApiError ? e.message : "The list could not be loaded.";
      ui.drillStatus.hidden = false;
    } finally {
      if (generation === d.generation) { d.loading = false; ui.drillMore.disabled = false; }
    }
  }

  // ------------------------------------------------------------------- events
  root.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-select]");
    if (button && root.contains(button)) openDrill(button.dataset.select, button.dataset.label);
  });
  ui.drillMore.addEventListener("click", () => { if (state.drill.next !== null) loadDrill(state.drill.next); });
  ui.drill.addEventListener("close", () => { state.drill.generation += 1; });
  ui.form.addEventListener("submit", (event) => { event.preventDefault(); refresh(); });
  ui.form.addEventListener("change", () => refresh());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && Date.now() - state.lastRefresh >= config.refreshMs) refresh();
  });

  // -------------------------------------------------------------------- start
  initialForm();
  refresh();
})();
