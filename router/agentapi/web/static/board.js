// The Team Leader / Supervisor board: live queues, agents with their state,
// the escalation inbox and help requests; a leader pauses or logs out an
// agent.
"use strict";

const board = {
  me: null, agents: [], queues: [], cases: [], helps: [], notes: {}, stream: null, tick: null, agentsDue: null,
};

const STATE_ORDER = ["available", "reserved", "on_call", "wrap_up", "paused", "logged_out"];

function signinError(msg) { $("signin-error").textContent = msg; }

async function signIn(token) {
  session.token = token;
  let me;
  try {
    me = await api("GET", "/me");
  } catch (e) {
    session.token = "";
    signinError(e.status === 401 ? t("signin.refused") : e.message);
    return;
  }
  if (me.role !== "team_leader" && me.role !== "supervisor") {
    session.token = "";
    signinError(t("signin.notLeader"));
    return;
  }
  board.me = me;
  $("token").value = "";
  signinError("");
  show($("signin"), false);
  show($("board"), true);
  show($("who"), true);
  show($("signout"), true);
  renderWho();
  loadCases();
  board.stream = new EventStream("/leaders/events", onEvent, (live) => setConn($("conn"), live),
    () => signOut(t("signin.refused")));
  board.tick = setInterval(tickAgents, 1000);
}

function signOut(msg) {
  if (board.stream) board.stream.stop();
  if (board.tick) clearInterval(board.tick);
  session.token = "";
  Object.assign(board, { me: null, agents: [], queues: [], cases: [], helps: [], notes: {}, stream: null, tick: null });
  show($("board"), false); show($("who"), false); show($("signout"), false);
  show($("signin"), true);
  signinError(msg || "");
}

function renderWho() {
  if (!board.me) return;
  $("who-name").textContent = (board.me.name || board.me.id) + " — " + t("role." + board.me.role);
}

function onEvent(type, ev) {
  switch (type) {
    case "snapshot":
      board.agents = ev.agents || [];
      board.queues = ev.queues || [];
      renderAgents();
      renderQueues();
      loadCases();
      break;
    case "queues":
      board.queues = ev.queues || [];
      renderQueues();
      break;
    case "state":
      loadAgentsSoon();
      break;
    case "help_request":
      board.helps.unshift(ev);
      board.helps = board.helps.slice(0, 50);
      renderHelps();
      break;
    case "escalation":
    case "escalation_case":
      loadCases();
      break;
  }
}

// loadAgentsSoon coalesces a burst of state events into one read.
function loadAgentsSoon() {
  if (board.agentsDue) return;
  board.agentsDue = setTimeout(async () => {
    board.agentsDue = null;
    try {
      const r = await api("GET", "/agents");
      board.agents = r.agents || [];
      renderAgents();
      const q = await api("GET", "/queues");
      board.queues = q.queues || [];
      renderQueues();
    } catch (e) {
      if (e.status === 401) signOut(t("signin.refused"));
    }
  }, 200);
}

async function loadCases() {
  try {
    const r = await api("GET", "/escalations");
    board.cases = r.escalations || [];
  } catch (e) {
    $("inbox-error").textContent = e.message;
    return;
  }
  renderCases();
}

function renderQueues() {
  const body = $("queues");
  body.replaceChildren();
  for (const q of board.queues) {
    const tr = el("tr");
    const sl = q.answered > 0 ? Math.round(q.service_level * 100) + "%" : "—";
    const slCell = el("td", sl, q.answered > 0 && q.service_level < 0.8 ? "warn" : "");
    const agents = el("td");
    for (const s of STATE_ORDER) {
      const n = (q.agents || {})[s] || 0;
      if (n > 0) agents.append(el("span", t("st." + s) + " " + n, "chip st-" + s));
    }
    if (q.offline > 0) agents.append(el("span", t("st.offline") + " " + q.offline, "chip st-offline"));
    tr.append(el("td", q.name, "strong"), el("td", q.waiting, q.waiting > 0 ? "num warn" : "num"),
      el("td", q.waiting > 0 ? fmtDur(nsToMs(q.oldest_wait)) : "—", "num"), slCell, agents);
    body.append(tr);
  }
}

function renderAgents() {
  const body = $("agents");
  if (!body || !board.me) return;
  body.replaceChildren();
  for (const a of board.agents) {
    const tr = el("tr");
    const name = el("td");
    name.append(el("span", a.name || a.id, "strong"), el("span", " " + a.id + (a.role !== "agent" ? " · " + t("role." + a.role) : ""), "muted"));
    const st = el("td");
    st.append(el("span", t("st." + a.state) + (a.reason ? " — " + reasonText(a.reason) : ""), "state st-" + a.state));
    if (a.offline) st.append(el("span", t("st.offline"), "chip st-offline"));
    const acts = el("td", null, "actions");
    if (a.id !== board.me.id) {
      if (a.state === "paused" || a.state === "logged_out") acts.append(actButton(t("agents.ready"), a.id, "available", ""));
      if (a.state === "available" || a.state === "wrap_up") acts.append(actButton(t("agents.pause"), a.id, "paused", "leader"));
      if (a.state !== "logged_out" && a.state !== "on_call" && a.state !== "reserved") acts.append(actButton(t("agents.logout"), a.id, "logged_out", "", "danger"));
    }
    tr.append(name, st, el("td", sinceText(a), "num since"),
      el("td", a.call_id || "—", "mono"), el("td", a.calls_taken, "num"), acts);
    tr.dataset.agent = a.id;
    body.append(tr);
  }
}

function sinceText(a) { return a.since ? fmtDur(Date.now() - Date.parse(a.since)) : ""; }

// tickAgents updates the times in state only: rebuilding the rows every
// second could swallow a click on their buttons.
function tickAgents() {
  for (const a of board.agents) {
    const cell = document.querySelector('#agents tr[data-agent="' + CSS.escape(a.id) + '"] td.since');
    if (cell) cell.textContent = sinceText(a);
  }
}

// agentName is "Name (id)" when the agent is known.
function agentName(id) {
  const a = board.agents.find((x) => x.id === id);
  return a && a.name ? a.name + " (" + id + ")" : id;
}

function actButton(label, id, state, reason, cls) {
  const b = el("button", label, cls || "");
  b.type = "button";
  b.dataset.op = state;
  b.addEventListener("click", async () => {
    $("agents-error").textContent = "";
    const body = { state };
    if (reason) body.reason = reason;
    try {
      await api("PUT", "/agents/" + encodeURIComponent(id) + "/state", body);
      loadAgentsSoon();
    } catch (e) {
      $("agents-error").textContent = id + ": " + e.message;
    }
  });
  return b;
}

function renderCases() {
  const list = $("inbox");
  list.replaceChildren();
  $("inbox-error").textContent = "";
  for (const c of board.cases) {
    const li = el("li", null, "case case-" + c.status);
    li.dataset.call = c.call_id;
    const head = el("div", null, "case-head");
    head.append(el("span", t("case." + c.status), "tag ph-" + c.status), el("span", fmtTime(c.at), "muted"),
      el("span", " " + t("inbox.by") + " " + agentName(c.agent_id), "strong"));
    const where = el("div", null, "case-meta muted");
    where.append(el("span", t("inbox.from") + " " + (c.queue || "—") + " · "), el("span", c.call_id, "mono"));
    li.append(head, where, el("p", c.reason, "case-reason"));
    if (c.status === "taken") li.append(el("p", t("inbox.takenBy") + " " + agentName(c.leader), "muted"));
    const row = el("div", null, "row");
    if (c.status === "open") {
      const take = el("button", t("inbox.take"), "primary");
      take.type = "button";
      take.dataset.op = "take";
      take.addEventListener("click", () => caseOp(c.call_id, "take"));
      row.append(take);
    }
    const note = el("input");
    note.maxLength = 500;
    note.value = board.notes[c.call_id] || "";
    note.addEventListener("input", () => { board.notes[c.call_id] = note.value; });
    note.placeholder = t("inbox.note");
    note.setAttribute("aria-label", t("inbox.note"));
    const resolve = el("button", t("inbox.resolve"));
    resolve.type = "button";
    resolve.dataset.op = "resolve";
    resolve.addEventListener("click", () => {
      const v = note.value.trim();
      if (!v) { $("inbox-error").textContent = t("inbox.needNote"); note.focus(); return; }
      caseOp(c.call_id, "resolve", { note: v });
    });
    row.append(note, resolve);
    li.append(row);
    list.append(li);
  }
  $("inbox-count").textContent = board.cases.length ? String(board.cases.length) : "";
  show($("inbox-none"), board.cases.length === 0);
}

async function caseOp(callID, op, body) {
  try {
    await api("POST", "/escalations/" + encodeURIComponent(callID) + "/" + op, body);
  } catch (e) {
    $("inbox-error").textContent = callID + ": " + e.message;
    return;
  }
  loadCases();
}

function renderHelps() {
  const list = $("helps");
  list.replaceChildren();
  board.helps.forEach((h, i) => {
    const li = el("li", null, "case");
    const head = el("div", null, "case-head");
    head.append(el("span", fmtTime(h.at), "muted"), el("span", " " + agentName(h.agent_id), "strong"),
      el("span", " · " + t("st." + h.state), "muted"), el("span", " · " + (h.call_id || "—"), "mono muted"));
    li.append(head);
    if (h.note) li.append(el("p", h.note, "case-reason"));
    const dismiss = el("button", t("helpq.dismiss"), "link");
    dismiss.type = "button";
    dismiss.addEventListener("click", () => { board.helps.splice(i, 1); renderHelps(); });
    li.append(dismiss);
    list.append(li);
  });
  $("help-count").textContent = board.helps.length ? String(board.helps.length) : "";
  show($("help-none"), board.helps.length === 0);
}

document.addEventListener("DOMContentLoaded", () => {
  langHooks.push(() => { renderWho(); renderQueues(); renderAgents(); renderCases(); renderHelps(); if (board.stream) setConn($("conn"), !$("conn").classList.contains("lost")); });
  setupChrome();
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const tok = $("token").value.trim();
    if (!tok) { signinError(t("signin.empty")); return; }
    signIn(tok);
  });
  $("signout").addEventListener("click", () => signOut(""));
  if (session.token) signIn(session.token);
});
