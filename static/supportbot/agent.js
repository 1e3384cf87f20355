/*!
 * supportbot agent console: the queue and one conversation at a time, over one WebSocket. No dependencies, no build step.
 * Wire format: docs/agent-console.md. The page (templates/agent/console.html) holds the static layout; this file fills it.
 * Everything from the server is untrusted text (customers type HTML too): the DOM is built node by node, never from strings.
 */
(() => {
  "use strict";

  const TYPING_EVERY_MS = 2000; // our `typing` frames, at most this often while the agent types
  const TYPING_SHOWN_MS = 5000; // the customer's typing indicator, after their last `typing` frame
  const BACKOFF_MAX_MS = 30000;
  const REFUSALS_BEFORE_WARNING = 3; // closes before open, in a row: probably a 403 (session expired, role removed)
  const MAX_CHARS = 4000;
  const SUGGEST_TIMEOUT_MS = 60000; // the protocol has no "no suggestion" answer: re-enable the button eventually
  const RESTORE_WINDOW_MS = 10000; // a refusal this soon after sending puts the text back into an empty composer
  const PRIORITIES = { 1: "Urgent", 2: "High", 3: "Normal" };
  const ROLES = { customer: "Customer", bot: "Assistant", agent: "Agent", system: "System" };
  const STATES = { waiting_agent: "waiting for an agent", agent: "with an agent", bot: "with the bot", resolved: "resolved" };
  const CLOSED_STATES = new Set(["resolved", "bot"]);
  const SEND_ERRORS = new Set(["text_too_long", "rate_limited", "not_yours", "conversation_closed", "missing_field", "invalid_field", "not_found", "translation_failed", "translation_blocked", "busy"]);
  const SESSION_ENDS = new Set(["session_ended", "forbidden"]); // the server closes the socket after these: no reconnecting
  const QUEUE_PAGE = 50;
  const GENERIC_ERRORS = new Set(["invalid_json", "unknown_type", "missing_field", "invalid_field"]);
  const ERRORS = {
    already_claimed: "Another agent claimed this conversation.",
    not_yours: "Another agent has this conversation.",
    not_waiting: "This conversation is not waiting to be claimed.",
    not_found: "That conversation does not exist (any more).",
    conversation_closed: "This conversation is closed.",
    unknown_agent: "There is no such agent to transfer to.",
    text_too_long: "The message is too long (4,000 characters at most).",
    rate_limited: "Too many messages at once. Wait a moment and try again.",
    offline: "Not connected: nothing was sent. The console reconnects by itself.",
    busy: "The assistant is busy right now; nothing was sent. Try again in a moment.",
    session_ended: "Your session has ended (signed out or password changed). Reload the page to sign in again.",
    forbidden: "You no longer have access to the agent console.",
    refused: "The server refuses the connection. Your session may have expired: reload the page to log in again.",
  };

  // ------------------------------------------------------------ configuration
  function readJson(id, fallback) {
    const node = document.getElementById(id);
    if (!node) return fallback;
    try { const value = JSON.parse(node.textContent); return value === null ? fallback : value; } catch (e) { return fallback; }
  }
  const config = {
    wsPath: String(readJson("agent-ws-path", "/ws/agent/")),
    slaMs: (Number(readJson("agent-sla-seconds", 300)) || 300) * 1000,
    user: String(readJson("agent-user", "")),
  };

  const $ = (id) => document.getElementById(id);
  const ui = {
    status: $("connection-status"), statusText: $("connection-text"), me: $("me"),
    helpOpen: $("help-open"), help: $("help"), banner: $("error-banner"), bannerText: $("error-text"), bannerClose: $("error-dismiss"),
    announcer: $("announcer"), queue: $("queue"), queueEmpty: $("queue-empty"), queueCount: $("queue-count"),
    queueSearch: $("queue-search"), queueSearchText: $("queue-search-text"), queueLanguage: $("queue-language"),
    queuePrev: $("queue-prev"), queueNext: $("queue-next"), queuePage: $("queue-page"),
    placeholder: $("no-conversation"), view: $("conversation"), heading: $("conv-heading"),
    metaState: $("meta-state"), metaPriority: $("meta-priority"), metaLanguage: $("meta-language"), metaReason: $("meta-reason"),
    metaAssigned: $("meta-assigned"), metaWaiting: $("meta-waiting"), metaSla: $("meta-sla"),
    claim: $("claim"), resolve: $("resolve"), handback: $("handback"), suggest: $("suggest"), suggestLabel: $("suggest-label"),
    transferSelect: $("transfer-select"), transfer: $("transfer"), noteToggle: $("note-toggle"), canned: $("canned-select"),
    scroller: $("transcript-scroll"), transcript: $("transcript"), typing: $("typing-indicator"),
    contact: $("contact"), contactNone: $("contact-none"),
    translateOption: $("translate-option"), translateToggle: $("translate-toggle"),
    form: $("composer-form"), composer: $("composer"), composerLabel: $("composer-label"), noteHint: $("note-hint"), send: $("send"),
  };

  // -------------------------------------------------------------------- state
  const state = {
    socket: null, attempt: 0, refusals: 0, reconnectTimer: 0,
    user: config.user, displayName: "", agents: [], // from `hello`
    language: "en", translation: false, // the agent's language; whether the server translates
    queue: new Map(), // conversation id -> queue item, as the last `queue` frame had it
    queueView: { offset: 0, limit: QUEUE_PAGE, search: "", language: "" }, // the page and search asked for
    queueTotal: 0, // matches of the search, on every page
    ended: false, // the login ended (logout, password, role): the server closed the socket for good
    rows: new Map(), // conversation id -> {li, button, parts}
    openId: null, // the conversation shown (asked for with `open`)
    conv: null, // its details from the `conversation` frame, kept current by `queue`, `state` and `claimed`
    seqs: new Set(), // seqs in the transcript: a message is shown once
    noteMode: false, suggesting: false, lastTypingAt: 0, typingTimer: 0,
    drafts: new Map(), // conversation id -> unsent composer text
    lastSent: null, // {conversation, text, note, at}: put back if the server refuses it
  };

  // ------------------------------------------------------------------ helpers
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) if (value !== null && value !== undefined) el.setAttribute(name, String(value));
    el.append(...children.filter((c) => c !== null && c !== undefined).map((c) => (typeof c === "object" ? c : String(c))));
    return el;
  }
  const str = (value) => (typeof value === "string" ? value : "");
  const humanize = (value) => str(value).replace(/_/g, " ");
  const stateLabel = (value) => STATES[value] || humanize(value);
  const parseTime = (value) => { const t = typeof value === "string" ? Date.parse(value) : NaN; return Number.isNaN(t) ? null : t; };
  const isWaiting = (s) => s === "waiting_agent" || s === "waiting";
  const priorityOf = (item) => (PRIORITIES[item.priority] ? Number(item.priority) : 3);
  const isMine = (c) => Boolean(c && c.assigned_to) && c.assigned_to === state.user;
  const isEditable = (el) => Boolean(el) && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));

  // m:ss, or h:mm:ss from an hour on
  function clock(ms) {
    const total = Math.max(0, Math.floor(ms / 1000));
    const hours = Math.floor(total / 3600), minutes = Math.floor((total % 3600) / 60), seconds = total % 60;
    const mm = hours ? String(minutes).padStart(2, "0") : String(minutes);
    return `${hours ? hours + ":" : ""}${mm}:${String(seconds).padStart(2, "0")}`;
  }

  function timeEl(value) {
    const t = parseTime(value);
    if (t === null) return null;
    const date = new Date(t);
    return h("time", { datetime: date.toISOString(), title: date.toLocaleString() }, date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }));
  }

  function agentName(username) {
    const agent = state.agents.find((a) => a.username === username);
    return agent && agent.display_name ? agent.display_name : str(username);
  }

  // The first-response clock: time left, overdue, or stopped once an agent answered.
  function slaStatus(item, now) {
    const escalated = parseTime(item.escalated_at);
    let due = parseTime(item.first_response_due);
    if (due === null && escalated !== null) due = escalated + config.slaMs;
    if (due === null) return { state: "none", text: "" };
    const answered = parseTime(item.first_response_at);
    if (answered !== null) {
      return answered <= due ? { state: "met", text: escalated === null ? "answered" : `answered in ${clock(answered - escalated)}` }
        : { state: "missed", text: `answered ${clock(answered - due)} late` };
    }
    const left = due - now;
    if (left < 0) return { state: "overdue", text: `overdue by ${clock(-left)}` };
    return { state: left < config.slaMs / 5 ? "warning" : "ok", text: `${clock(left)} left` };
  }

  function setSla(el, item, now) {
    const sla = slaStatus(item, now);
    el.textContent = sla.text;
    el.dataset.state = sla.state;
  }

  function announce(text) {
    ui.announcer.textContent = "";
    setTimeout(() => { ui.announcer.textContent = text; }, 30); // a fresh change, so the same text is read again
  }

  // ------------------------------------------------------------------- socket
  function wsUrl() {
    if (/^wss?:\/\//i.test(config.wsPath)) return config.wsPath;
    const path = config.wsPath.startsWith("/") ? config.wsPath : "/" + config.wsPath;
    return `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}${path}`;
  }

  function sendFrame(frame) {
    if (!state.socket || state.socket.readyState !== WebSocket.OPEN) return false;
    state.socket.send(JSON.stringify(frame));
    return true;
  }

  function sendOrWarn(frame) {
    if (sendFrame(frame)) return true;
    showError("offline");
    return false;
  }

  function setStatus(value) {
    ui.status.dataset.state = value;
    ui.statusText.textContent = { connecting: "Connecting…", online: "Connected", reconnecting: "Reconnecting…", ended: "Signed out" }[value];
  }

  function connect() {
    clearTimeout(state.reconnectTimer);
    if (state.socket) return;
    let ws;
    try { ws = new WebSocket(wsUrl()); } catch (e) { scheduleReconnect(); return; }
    let opened = false;
    state.socket = ws;
    setStatus(state.attempt ? "reconnecting" : "connecting");
    ws.onopen = () => {
      if (ws !== state.socket) return;
      opened = true;
      state.attempt = 0;
      state.refusals = 0;
      setStatus("online");
      if (ui.banner.dataset.code === "offline" || ui.banner.dataset.code === "refused") dismissBanner();
      if (state.openId) sendFrame({ type: "open", conversation: state.openId }); // the answer redraws the transcript
      if (state.queueView.offset || state.queueView.search || state.queueView.language) sendQueueView(); // a new socket starts on page one
    };
    ws.onmessage = (event) => {
      if (ws !== state.socket) return;
      let frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame === "object") handleFrame(frame);
    };
    ws.onclose = () => {
      if (ws !== state.socket) return;
      state.socket = null;
      state.suggesting = false;
      if (state.ended) { setStatus("ended"); updateActions(); return; }
      setStatus("reconnecting");
      if (!opened && ++state.refusals >= REFUSALS_BEFORE_WARNING) showError("refused");
      updateActions();
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    clearTimeout(state.reconnectTimer);
    const base = Math.min(BACKOFF_MAX_MS, 500 * 2 ** state.attempt);
    state.attempt += 1;
    state.reconnectTimer = setTimeout(connect, base / 2 + Math.random() * (base / 2)); // jitter: not every console at once
  }

  function reconnectNow() {
    if (state.socket || state.ended) return;
    state.attempt = 0;
    connect();
  }

  // ------------------------------------------------------------------- frames
  function handleFrame(frame) {
    switch (frame.type) {
      case "hello": return onHello(frame);
      case "queue": return onQueue(frame);
      case "conversation": return onConversation(frame);
      case "message": return onMessage(frame);
      case "note": return onNote(frame);
      case "typing": return onTyping(frame);
      case "claimed": return onClaimed(frame);
      case "state": return onState(frame);
      case "suggestion": return onSuggestion(frame);
      case "translation": return onTranslation(frame);
      case "error": return onError(frame);
      default: return undefined; // unknown frames are ignored so the server can add new ones
    }
  }

  function onHello(frame) {
    state.user = str(frame.user) || state.user;
    state.displayName = str(frame.display_name);
    state.language = str(frame.language) || "en";
    state.translation = frame.translation === true;
    state.agents = Array.isArray(frame.agents) ? frame.agents.filter((a) => a && typeof a.username === "string") : [];
    ui.me.textContent = state.displayName || state.user;
    renderAgents();
    renderQueue();
    if (state.openId) renderHeader();
  }

  function onQueue(frame) {
    if (!Array.isArray(frame.items)) return;
    const items = frame.items.filter((i) => i && typeof i.conversation === "string");
    state.queueTotal = Number.isInteger(frame.total) ? frame.total : items.length;
    if (Number.isInteger(frame.offset)) state.queueView.offset = frame.offset;
    state.queue = new Map(items.map((i) => [i.conversation, i]));
    const item = state.conv && state.queue.get(state.conv.id);
    if (item) {
      for (const key of ["state", "assigned_to", "priority", "first_response_due"]) state.conv[key] = item[key];
      state.conv.first_response_at = item.first_response_at || state.conv.first_response_at;
      renderHeader();
      updateActions();
    }
    renderQueue();
  }

  function onConversation(frame) {
    if (frame.conversation !== state.openId) return; // the answer to an `open` we have since left
    const queued = state.queue.get(frame.conversation) || {};
    state.conv = {
      id: frame.conversation, state: str(frame.state), language: str(frame.language), reason: str(frame.reason),
      priority: frame.priority, assigned_to: frame.assigned_to || null, escalated_at: frame.escalated_at,
      first_response_due: frame.first_response_due, first_response_at: frame.first_response_at || queued.first_response_at || null,
      canned: Array.isArray(frame.canned) ? frame.canned.filter((c) => c && typeof c.text === "string") : [],
    };
    renderTranscript(Array.isArray(frame.messages) ? frame.messages : [], Array.isArray(frame.notes) ? frame.notes : []);
    renderContact(frame.contact);
    renderCanned();
    renderHeader();
    updateActions();
    ui.view.removeAttribute("aria-busy");
  }

  function onMessage(frame) {
    if (frame.conversation !== state.openId) return;
    const mine = frame.role === "agent" && state.displayName && frame.author === state.displayName;
    if (mine && state.lastSent && !state.lastSent.note) state.lastSent = null; // delivered
    if (frame.role === "agent" && state.conv && !state.conv.first_response_at) state.conv.first_response_at = frame.created_at;
    const el = messageEl(frame);
    if (!el) return;
    appendEntry(el, mine);
    if (frame.role === "customer") hideTyping();
    if (!mine) announce(`${el.querySelector(".who").textContent}: ${str(frame.text)}`);
  }

  // A machine translation of a transcript message, shown under the original.
  function onTranslation(frame) {
    if (frame.conversation !== state.openId || !Number.isInteger(frame.seq)) return;
    const li = ui.transcript.querySelector(`[data-testid="transcript-message"][data-seq="${frame.seq}"]`);
    if (!li || li.querySelector('[data-testid="translation"]')) return;
    // Withheld by the output guard, refused while the assistant is busy, or none came back: the notice, never the text.
    const missing = frame.blocked || frame.busy || frame.failed || !str(frame.text);
    const body = missing ? str(frame.notice) : str(frame.text);
    li.append(h("p", { class: "msg-translation", dir: "auto", "data-testid": "translation", "data-blocked": frame.blocked ? "true" : "false",
      "data-missing": missing ? "true" : "false" },
      h("span", { class: "tag" }, `machine translation · ${str(frame.language).toUpperCase()}`), " ", body));
  }

  function onNote(frame) {
    if (frame.conversation !== state.openId) return;
    const mine = state.displayName && frame.author === state.displayName;
    if (mine && state.lastSent && state.lastSent.note) state.lastSent = null;
    appendEntry(noteEl(frame), mine);
    if (!mine) announce(`Internal note from ${str(frame.author)}: ${str(frame.text)}`);
  }

  function onTyping(frame) {
    if (frame.conversation !== state.openId || (frame.role && frame.role !== "customer")) return;
    ui.typing.hidden = false;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(hideTyping, TYPING_SHOWN_MS);
  }

  function hideTyping() {
    clearTimeout(state.typingTimer);
    ui.typing.hidden = true;
  }

  function onClaimed(frame) {
    updateConversation(frame.conversation, "agent", state.user);
    if (frame.conversation === state.openId) { announce("You claimed this conversation."); ui.composer.focus(); }
  }

  function onState(frame) {
    updateConversation(frame.conversation, str(frame.state), frame.assigned_to || null);
    if (frame.conversation === state.openId) announce(`This conversation is now ${stateLabel(frame.state)}.`);
  }

  function updateConversation(id, newState, assignedTo) {
    const item = state.queue.get(id);
    if (item) { item.state = newState; item.assigned_to = assignedTo; renderQueue(); }
    if (!state.conv || state.conv.id !== id) return;
    state.conv.state = newState;
    state.conv.assigned_to = assignedTo;
    renderHeader();
    updateActions();
  }

  function onSuggestion(frame) {
    if (frame.conversation !== state.openId) return;
    state.suggesting = false;
    setNoteMode(false); // a draft for the customer
    ui.composer.value = str(frame.text);
    autosize();
    ui.composer.focus();
    ui.composer.setSelectionRange(ui.composer.value.length, ui.composer.value.length);
    announce("A suggested reply is in the composer. Edit it, then send.");
    updateActions();
  }

  function onError(frame) {
    const code = str(frame.code);
    if (SESSION_ENDS.has(code)) { state.ended = true; clearTimeout(state.reconnectTimer); }
    if (!frame.conversation || frame.conversation === state.openId) state.suggesting = false;
    if (code === "not_found" && frame.conversation === state.openId && !state.conv) closeView();
    if (SEND_ERRORS.has(code)) restoreRefused();
    showError(code, str(frame.detail));
    updateActions();
  }

  // The protocol's `error` does not say which frame it answers: a send refused right after it was made gets its text back.
  function restoreRefused() {
    const last = state.lastSent;
    state.lastSent = null;
    if (!last || Date.now() - last.at > RESTORE_WINDOW_MS || last.conversation !== state.openId || ui.composer.value) return;
    setNoteMode(last.note);
    ui.composer.value = last.text;
    autosize();
  }

  // ------------------------------------------------------------------- banner
  function showError(code, detail = "") {
    let text = ERRORS[code] || (GENERIC_ERRORS.has(code) ? "The server refused the request." : "") || detail || `Something went wrong (${code || "unknown error"}).`;
    if (GENERIC_ERRORS.has(code) && detail) text += ` (${detail})`;
    ui.banner.dataset.code = code;
    ui.banner.hidden = false;
    ui.bannerText.textContent = text;
  }

  function dismissBanner() {
    ui.banner.hidden = true;
    ui.bannerText.textContent = "";
    delete ui.banner.dataset.code;
  }

  // -------------------------------------------------------------------- queue
  function sortedQueue() {
    const oldest = (item) => { const t = parseTime(item.escalated_at); return t === null ? Infinity : t; };
    return [...state.queue.values()].sort((a, b) =>
      Number(Boolean(a.assigned_to)) - Number(Boolean(b.assigned_to)) || priorityOf(a) - priorityOf(b) || (oldest(a) - oldest(b) || 0));
  }

  function createRow(id) {
    const part = (cls, testid, attrs = {}) => h("span", { class: cls, "data-testid": testid, ...attrs });
    const parts = {
      priority: part("prio", "priority"), language: part("lang", "language"), waiting: part("waiting", "waiting-time"),
      reason: part("reason", "reason"), assigned: part("assigned", "assigned-to"), preview: part("preview", "preview", { dir: "auto" }),
      capped: part("capped", "priority-capped", { title: "Too many urgent tickets from this address or visitor lately: queued at normal priority." }),
      sla: part("sla", "sla-clock"),
    };
    const button = h("button", { type: "button", class: "queue-item", "data-testid": "queue-item", "data-conversation": id },
      h("span", { class: "row-line" }, parts.priority, parts.capped, parts.language, parts.waiting),
      h("span", { class: "row-line" }, parts.reason, parts.assigned),
      parts.preview,
      h("span", { class: "row-line" }, h("span", { class: "sla-label" }, "First response:"), parts.sla));
    button.addEventListener("click", () => openConversation(id));
    const row = { li: h("li", {}, button), button, parts };
    state.rows.set(id, row);
    return row;
  }

  function fillRow(row, item) {
    const priority = priorityOf(item);
    row.button.dataset.priority = String(priority);
    row.button.dataset.state = str(item.state);
    row.button.dataset.assigned = item.assigned_to ? "true" : "false";
    row.parts.priority.textContent = PRIORITIES[priority];
    row.parts.capped.textContent = item.priority_capped ? "capped" : "";
    row.parts.capped.hidden = !item.priority_capped;
    row.parts.language.textContent = str(item.language).toUpperCase();
    row.parts.reason.textContent = humanize(item.reason);
    row.parts.assigned.textContent = item.assigned_to ? (isMine(item) ? "you" : agentName(item.assigned_to)) : "unassigned";
    row.parts.preview.textContent = str(item.preview);
    if (item.conversation === state.openId) row.button.setAttribute("aria-current", "true"); else row.button.removeAttribute("aria-current");
  }

  function renderQueue() {
    const items = sortedQueue();
    const focused = document.activeElement;
    for (const [id, row] of state.rows) if (!state.queue.has(id)) { row.li.remove(); state.rows.delete(id); }
    items.forEach((item, index) => {
      const row = state.rows.get(item.conversation) || createRow(item.conversation);
      fillRow(row, item);
      if (ui.queue.children[index] !== row.li) ui.queue.insertBefore(row.li, ui.queue.children[index] || null);
    });
    if (focused && focused !== document.activeElement && focused.isConnected) focused.focus(); // moving a row drops its focus
    const unassigned = items.filter((i) => !i.assigned_to).length;
    ui.queueEmpty.hidden = items.length > 0;
    const view = state.queueView;
    ui.queueEmpty.textContent = view.search || view.language ? "No conversations match." : "No conversations waiting.";
    ui.queueCount.textContent = items.length ? `${unassigned} waiting here · ${state.queueTotal} in all` : "";
    ui.queuePage.textContent = state.queueTotal ? `${view.offset + 1}–${view.offset + items.length} of ${state.queueTotal}` : "";
    ui.queuePrev.disabled = view.offset <= 0;
    ui.queueNext.disabled = view.offset + items.length >= state.queueTotal;
    document.title = `${unassigned ? `(${unassigned}) ` : ""}Agent console — supportbot`;
    tick();
  }

  // Paging and search: the server keeps this console's view for its later refreshes.
  function sendQueueView() {
    sendFrame({ type: "queue", ...state.queueView });
  }

  function pageQueue(direction) {
    const view = state.queueView;
    view.offset = Math.max(0, view.offset + direction * view.limit);
    sendQueueView();
  }

  // Every second: waiting times and first-response clocks.
  function tick() {
    const now = Date.now();
    for (const [id, row] of state.rows) {
      const item = state.queue.get(id);
      const escalated = parseTime(item.escalated_at);
      row.parts.waiting.textContent = escalated === null ? "" : `waiting ${clock(now - escalated)}`;
      setSla(row.parts.sla, item, now);
    }
    const c = state.conv;
    if (!c) return;
    const escalated = parseTime(c.escalated_at);
    ui.metaWaiting.textContent = escalated === null ? "—" : clock(now - escalated);
    setSla(ui.metaSla, c, now);
  }

  function step(direction) {
    const ids = sortedQueue().map((i) => i.conversation);
    if (!ids.length) return;
    const at = ids.indexOf(state.openId);
    const next = at === -1 ? (direction > 0 ? 0 : ids.length - 1) : Math.min(ids.length - 1, Math.max(0, at + direction));
    const fromQueue = ui.queue.contains(document.activeElement);
    openConversation(ids[next]);
    const row = state.rows.get(ids[next]);
    if (fromQueue) row.button.focus();
    row.button.scrollIntoView({ block: "nearest" });
  }

  // ------------------------------------------------------------- conversation
  function openConversation(id) {
    if (id === state.openId) return;
    if (state.openId) {
      saveDraft();
      sendFrame({ type: "close", conversation: state.openId });
    }
    Object.assign(state, { openId: id, conv: null, suggesting: false, lastSent: null });
    ui.transcript.replaceChildren();
    state.seqs.clear();
    hideTyping();
    renderContact(null);
    renderCanned();
    ui.placeholder.hidden = true;
    ui.view.hidden = false;
    ui.view.setAttribute("aria-busy", "true");
    ui.composer.value = state.drafts.get(id) || "";
    autosize();
    renderHeader();
    updateActions();
    for (const [rowId, row] of state.rows) fillRow(row, state.queue.get(rowId));
    sendFrame({ type: "open", conversation: id }); // offline: sent when the socket opens
  }

  function closeView() {
    state.openId = null;
    state.conv = null;
    ui.view.hidden = true;
    ui.placeholder.hidden = false;
    renderQueue();
  }

  function saveDraft() {
    if (ui.composer.value.trim()) state.drafts.set(state.openId, ui.composer.value); else state.drafts.delete(state.openId);
  }

  function renderHeader() {
    const c = state.conv || state.queue.get(state.openId) || {};
    ui.heading.textContent = `Conversation ${state.openId.slice(0, 8)}`;
    ui.metaState.textContent = stateLabel(c.state) || "—";
    ui.metaState.dataset.state = str(c.state);
    ui.metaPriority.textContent = PRIORITIES[priorityOf(c)];
    ui.metaPriority.dataset.priority = String(priorityOf(c));
    ui.metaLanguage.textContent = str(c.language).toUpperCase() || "—";
    ui.metaReason.textContent = humanize(c.reason) || "—";
    ui.metaAssigned.textContent = c.assigned_to ? (isMine(c) ? "you" : agentName(c.assigned_to)) : "nobody";
    tick();
  }

  function updateActions() {
    const c = state.conv;
    const active = Boolean(c) && !CLOSED_STATES.has(c.state);
    const had = document.activeElement;
    ui.claim.disabled = !c || !isWaiting(c.state);
    ui.resolve.disabled = !active;
    ui.handback.disabled = !active;
    ui.transferSelect.disabled = !active;
    ui.transfer.disabled = !active || !ui.transferSelect.value;
    ui.suggest.disabled = !active || state.suggesting;
    ui.suggest.setAttribute("aria-busy", String(state.suggesting));
    ui.suggestLabel.textContent = state.suggesting ? "Suggesting…" : "Suggest reply";
    ui.canned.disabled = !c || !c.canned.length;
    ui.send.disabled = !c || (!state.noteMode && c.state === "resolved");
    const foreign = Boolean(c) && state.translation && Boolean(c.language) && c.language !== state.language;
    ui.translateOption.hidden = !foreign || state.noteMode;
    if (had && had.disabled) ui.scroller.focus(); // a button that just did its job (claim, resolve) keeps no focus
  }

  function renderAgents() {
    const keep = ui.transferSelect.value;
    const others = state.agents.filter((a) => a.username !== state.user);
    ui.transferSelect.replaceChildren(h("option", { value: "" }, others.length ? "Choose an agent…" : "No other agents"),
      ...others.map((a) => h("option", { value: a.username }, `${str(a.display_name) || a.username}${a.online ? "" : " (offline)"}`)));
    ui.transferSelect.value = keep;
    if (ui.transferSelect.value !== keep) ui.transferSelect.value = "";
  }

  function renderCanned() {
    const list = state.conv ? state.conv.canned : [];
    ui.canned.replaceChildren(h("option", { value: "" }, list.length ? "Insert a canned response…" : "No canned responses"),
      ...list.map((c, i) => h("option", { value: String(i) }, str(c.title) || c.text.slice(0, 40))));
  }

  function renderContact(contact) {
    const labels = { name: "Name", email: "Email", phone: "Phone" };
    const fields = contact && typeof contact === "object" && !Array.isArray(contact)
      ? Object.entries(contact).filter(([, v]) => typeof v === "string" && v.trim()) : [];
    ui.contact.replaceChildren(...fields.flatMap(([key, value]) =>
      [h("dt", {}, labels[key] || humanize(key)), h("dd", { dir: "auto", "data-field": key }, value)]));
    ui.contactNone.hidden = fields.length > 0;
  }

  // ---------------------------------------------------------------- transcript
  function messageEl(m) {
    if (Number.isInteger(m.seq)) {
      if (state.seqs.has(m.seq)) return null;
      state.seqs.add(m.seq);
    }
    const role = str(m.role) || "system";
    const kind = ROLES[role] ? role : "system";
    const who = kind === "agent" && m.author ? `Agent · ${str(m.author)}` : ROLES[kind];
    const head = h("div", { class: "msg-head" }, h("span", { class: "who" }, who));
    if (kind === "bot") head.append(h("span", { class: "tag tag-bot", "data-testid": "bot-badge" }, "bot"));
    const action = str(m.safety_action);
    if (action && action !== "allow") {
      const categories = Array.isArray(m.safety_categories) ? m.safety_categories.map(str).filter(Boolean) : [];
      head.append(h("span", { class: "tag tag-safety", "data-testid": "safety-badge", "data-action": action, title: "Safety filter" },
        `⚠ ${action}${categories.length ? ": " + categories.join(", ") : ""}`));
    }
    if (m.finish_reason === "length") head.append(h("span", { class: "tag" }, "cut off"));
    if (m.machine_translated === true) head.append(h("span", { class: "tag", "data-testid": "machine-translated" }, "machine-translated"));
    if (str(m.language) && (!state.conv || m.language !== state.conv.language)) head.append(h("span", { class: "msg-lang" }, str(m.language).toUpperCase()));
    head.append(timeEl(m.created_at) || "");
    return h("li", { class: `msg msg-${kind}`, "data-testid": "transcript-message", "data-role": role, "data-seq": Number.isInteger(m.seq) ? m.seq : null },
      head, h("p", { class: "msg-text", dir: "auto" }, str(m.text)));
  }

  function noteEl(n) {
    const head = h("div", { class: "msg-head" }, h("span", { class: "who" }, `Note · ${str(n.author) || "agent"}`),
      h("span", { class: "tag tag-internal" }, "internal — customer never sees this"), timeEl(n.created_at) || "");
    return h("li", { class: "note", "data-testid": "note-item" }, head, h("p", { class: "msg-text", dir: "auto" }, str(n.text)));
  }

  // Messages in seq order, notes merged in by time.
  function renderTranscript(messages, notes) {
    state.seqs.clear();
    const ms = messages.filter((m) => m && typeof m === "object").sort((a, b) => (a.seq || 0) - (b.seq || 0));
    const ns = notes.filter((n) => n && typeof n === "object").sort((a, b) => (parseTime(a.created_at) || 0) - (parseTime(b.created_at) || 0));
    const entries = [];
    let i = 0, j = 0;
    while (i < ms.length || j < ns.length) {
      const noteAt = j < ns.length ? parseTime(ns[j].created_at) ?? Infinity : Infinity;
      const messageAt = i < ms.length ? parseTime(ms[i].created_at) ?? -Infinity : Infinity;
      const el = j < ns.length && (i >= ms.length || noteAt < messageAt) ? noteEl(ns[j++]) : messageEl(ms[i++]);
      if (el) entries.push(el);
    }
    ui.transcript.replaceChildren(...entries);
    ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }

  function appendEntry(el, forceScroll) {
    const atBottom = ui.scroller.scrollHeight - ui.scroller.scrollTop - ui.scroller.clientHeight < 48;
    ui.transcript.append(el);
    if (atBottom || forceScroll) ui.scroller.scrollTop = ui.scroller.scrollHeight;
  }

  // ----------------------------------------------------------------- composer
  function setNoteMode(on) {
    state.noteMode = on;
    ui.noteToggle.setAttribute("aria-pressed", String(on));
    ui.form.classList.toggle("note-mode", on);
    ui.noteHint.hidden = !on;
    ui.composerLabel.textContent = on ? "Internal note (the customer never sees it)" : "Reply to the customer";
    ui.composer.placeholder = on ? "Internal note — the customer never sees this" : "Reply to the customer… (Enter sends, Shift+Enter adds a line)";
    ui.send.textContent = on ? "Add note" : "Send";
    updateActions();
  }

  function submitComposer() {
    const c = state.conv;
    const text = ui.composer.value.trim();
    if (!c || !text || ui.send.disabled) return;
    if (Array.from(text).length > MAX_CHARS) { showError("text_too_long"); return; }
    const frame = state.noteMode ? { type: "note", conversation: c.id, text }
      : { type: "send", conversation: c.id, client_id: uuid(), text };
    if (!state.noteMode && !ui.translateOption.hidden && ui.translateToggle.checked) frame.translate = true;
    if (!sendOrWarn(frame)) return; // the text stays in the composer
    state.lastSent = { conversation: c.id, text, note: state.noteMode, at: Date.now() };
    state.drafts.delete(c.id);
    ui.composer.value = "";
    autosize();
  }

  function maybeSendTyping() {
    const c = state.conv;
    if (!c || state.noteMode || !isMine(c) || !ui.composer.value.trim()) return; // notes are not typing to the customer
    const now = Date.now();
    if (now - state.lastTypingAt < TYPING_EVERY_MS) return;
    state.lastTypingAt = now;
    sendFrame({ type: "typing", conversation: c.id });
  }

  function insertText(text) {
    const start = ui.composer.selectionStart ?? ui.composer.value.length;
    const end = ui.composer.selectionEnd ?? start;
    ui.composer.setRangeText(text, start, end, "end");
    autosize();
    ui.composer.focus();
  }

  function autosize() {
    ui.composer.style.height = "auto";
    ui.composer.style.height = Math.min(ui.composer.scrollHeight + 2, 240) + "px";
  }

  // crypto.randomUUID exists only in secure contexts (https or localhost); getRandomValues works everywhere.
  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // ------------------------------------------------------------------ actions
  function act(type, extra = {}) {
    if (!state.conv) return false;
    return sendOrWarn({ type, conversation: state.conv.id, ...extra });
  }

  function press(button) {
    if (!ui.view.hidden && !button.disabled) button.click();
  }

  function openHelp() {
    if (ui.help.open) return;
    if (typeof ui.help.showModal === "function") ui.help.showModal(); else ui.help.setAttribute("open", "");
  }

  const SHORTCUTS = {
    KeyC: () => press(ui.claim), KeyR: () => press(ui.resolve), KeyB: () => press(ui.handback),
    KeyN: () => press(ui.noteToggle), KeyS: () => press(ui.suggest), KeyJ: () => step(1), KeyK: () => step(-1),
  };

  function onKeydown(event) {
    if (ui.help.open) return; // the dialog handles Esc itself
    if (event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
      // event.code: Alt+C types "ç" on a Mac keyboard, so event.key would miss it
      const run = SHORTCUTS[event.code] || SHORTCUTS["Key" + String(event.key).toUpperCase()];
      if (run) { event.preventDefault(); run(); }
      return;
    }
    if (event.key === "?" && !event.ctrlKey && !event.metaKey && !isEditable(event.target)) {
      event.preventDefault();
      openHelp();
    } else if (event.key === "Escape") {
      if (event.target === ui.composer) { event.preventDefault(); ui.scroller.focus(); } else if (!ui.banner.hidden) dismissBanner();
    }
  }

  ui.claim.addEventListener("click", () => act("claim"));
  ui.resolve.addEventListener("click", () => act("resolve"));
  ui.handback.addEventListener("click", () => act("handback"));
  ui.transfer.addEventListener("click", () => {
    if (ui.transferSelect.value && act("transfer", { to: ui.transferSelect.value })) { ui.transferSelect.value = ""; updateActions(); }
  });
  ui.transferSelect.addEventListener("change", updateActions);
  ui.suggest.addEventListener("click", () => {
    if (!act("suggest")) return;
    state.suggesting = true;
    updateActions();
    const id = state.openId;
    setTimeout(() => { if (state.suggesting && state.openId === id) { state.suggesting = false; updateActions(); } }, SUGGEST_TIMEOUT_MS);
  });
  ui.noteToggle.addEventListener("click", () => setNoteMode(!state.noteMode));
  ui.canned.addEventListener("change", () => {
    const item = state.conv && ui.canned.value !== "" ? state.conv.canned[Number(ui.canned.value)] : null;
    ui.canned.value = "";
    if (item) insertText(item.text);
  });
  ui.form.addEventListener("submit", (event) => { event.preventDefault(); submitComposer(); });
  ui.composer.addEventListener("keydown", (event) => {
    // isComposing: Enter that confirms an IME candidate (Chinese, Japanese, Korean) must not send.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing && event.keyCode !== 229) { event.preventDefault(); submitComposer(); }
  });
  ui.composer.addEventListener("input", () => { autosize(); maybeSendTyping(); });
  ui.bannerClose.addEventListener("click", dismissBanner);
  ui.helpOpen.addEventListener("click", openHelp);
  document.addEventListener("keydown", onKeydown);
  window.addEventListener("online", reconnectNow);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") reconnectNow(); });

  // A deep link from the dashboard, /agent/#conversation=<uuid>: the `open` goes out once the socket is up.
  function openFromHash() {
    const match = /^#conversation=([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i.exec(location.hash);
    if (match) openConversation(match[1].toLowerCase());
  }
  window.addEventListener("hashchange", openFromHash);

  ui.queueSearch.addEventListener("submit", (event) => {
    event.preventDefault();
    state.queueView = { ...state.queueView, offset: 0, search: ui.queueSearchText.value.trim(), language: ui.queueLanguage.value.trim().toLowerCase() };
    sendQueueView();
  });
  ui.queuePrev.addEventListener("click", () => pageQueue(-1));
  ui.queueNext.addEventListener("click", () => pageQueue(1));

  // -------------------------------------------------------------------- start
  setNoteMode(false);
  renderAgents();
  renderCanned();
  setInterval(tick, 1000);
  openFromHash();
  connect();
})();
