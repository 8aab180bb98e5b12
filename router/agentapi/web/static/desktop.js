// The agent desktop: state, the live call with its screen-pop, the
// disposition, escalation and help, and today's calls.
"use strict";

const REMIND_MS = 15000; // remind this long before wrap-up ends

const desk = {
  me: null,        // the agent's status (GET /me)
  call: null,      // the handling record of the call on screen
  phase: "",       // ringing | connected | ended
  stream: null,
  tick: null,
  meSeq: 0,        // the last GET /me asked (an older answer is dropped)
  callSeq: 0,      // the last GET /calls/{id} asked (likewise)
};

// A call's phase only moves forward on the screen.
const PHASE_RANK = { ringing: 1, connected: 2, ended: 3 };

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
  desk.me = me;
  $("token").value = "";
  signinError("");
  show($("signin"), false);
  show($("desk"), true);
  show($("who"), true);
  show($("signout"), true);
  renderMe();
  loadToday();
  desk.stream = new EventStream("/agents/" + encodeURIComponent(me.id) + "/events", onEvent,
    (live) => setConn($("conn"), live), () => signOut(t("signin.refused")));
  desk.tick = setInterval(tick, 1000);
}

function signOut(msg) {
  if (desk.stream) desk.stream.stop();
  if (desk.tick) clearInterval(desk.tick);
  session.token = "";
  desk.me = null; desk.call = null; desk.phase = ""; desk.stream = null;
  show($("desk"), false); show($("who"), false); show($("signout"), false);
  show($("signin"), true);
  clearCall();
  signinError(msg || "");
}

async function refreshMe() {
  const seq = ++desk.meSeq;
  let me;
  try {
    me = await api("GET", "/me");
  } catch (e) {
    if (e.status === 401) signOut(t("signin.refused"));
    return;
  }
  if (seq !== desk.meSeq || !desk.me) return; // a later request answers (or signed out)
  desk.me = me;
  renderMe();
  // A call the agent holds but the screen lost (reload, missed events).
  if (desk.me.call_id && (!desk.call || desk.call.call_id !== desk.me.call_id)) {
    loadCall(desk.me.call_id, phaseOf(desk.me.state));
  } else if (!desk.me.call_id && desk.call && desk.phase !== "ringing") {
    clearCall(); // wrap-up over (or the agent got ready): the call is done
  }
}

function phaseOf(state) {
  return state === "reserved" ? "ringing" : state === "on_call" ? "connected" : state === "wrap_up" ? "ended" : "";
}

function renderMe() {
  const me = desk.me;
  if (!me) return;
  $("who-name").textContent = (me.name || me.id) + " (" + me.id + ")";
  const b = $("state-badge");
  b.textContent = t("st." + me.state) + (me.state === "paused" && me.reason ? " — " + reasonText(me.reason) : "");
  b.className = "state st-" + me.state;
  $("btn-ready").disabled = !(me.state === "logged_out" || me.state === "paused" || me.state === "wrap_up");
  $("btn-pause").disabled = !(me.state === "available" || me.state === "wrap_up");
  $("btn-logout").disabled = me.state === "logged_out" || me.state === "on_call" || me.state === "reserved";
  tick();
}

function tick() {
  const me = desk.me;
  if (!me) return;
  $("state-time").textContent = me.since ? fmtDur(Date.now() - Date.parse(me.since)) : "";
  const wrap = me.state === "wrap_up" && me.wrap_up_end;
  show($("wrapup"), !!wrap);
  let remind = false;
  if (wrap) {
    const left = Date.parse(me.wrap_up_end) - Date.now();
    $("wrapup-left").textContent = fmtDur(left);
    remind = left <= REMIND_MS && !!desk.call && !desk.call.disposition;
  }
  show($("reminder"), remind);
  if (desk.call && desk.phase === "ringing") {
    $("pop-waited").textContent = fmtDur(Date.now() - Date.parse(desk.call.enqueued_at));
  }
}

async function stateOp(path, body) {
  $("state-error").textContent = "";
  try {
    desk.me = await api("POST", "/agents/" + encodeURIComponent(desk.me.id) + path, body);
    renderMe();
  } catch (e) {
    $("state-error").textContent = e.message;
  }
}

function onReady() {
  if (desk.me.state === "logged_out") stateOp("/login");
  else stateOp("/ready");
}

// loadCall rebuilds the call's view from its handling record.
// Answers can come back out of order on a busy server: only the last
// request asked is applied, and one call's phase never goes back (a late
// "ringing" must not disable the escalation of a connected call).
async function loadCall(callID, phase) {
  const seq = ++desk.callSeq;
  let h;
  try {
    h = await api("GET", "/calls/" + encodeURIComponent(callID));
  } catch (e) {
    return;
  }
  if (seq !== desk.callSeq || !desk.me) return;
  const fresh = !desk.call || desk.call.call_id !== callID;
  desk.call = h;
  if (phase && (fresh || (PHASE_RANK[phase] || 0) >= (PHASE_RANK[desk.phase] || 0))) desk.phase = phase;
  renderCall(fresh);
}

function clearCall() {
  desk.callSeq++; // a load still under way is for the call that went
  desk.call = null;
  desk.phase = "";
  show($("call"), false);
  show($("no-call"), true);
  $("call-phase").textContent = "";
  resetForms();
}

function resetForms() {
  $("dispo").reset();
  for (const id of ["dispo-error", "dispo-ok", "esc-error", "esc-ok", "help-error", "help-ok"]) $(id).textContent = "";
  $("esc-reason").value = "";
  $("help-note").value = "";
}

function renderCall(fresh) {
  const h = desk.call;
  if (!h) return clearCall();
  if (fresh) resetForms();
  const p = h.screen_pop || {};
  const set = (id, v) => { $(id).textContent = v === undefined || v === null || v === "" ? "—" : String(v); };
  set("pop-name", p.customer_name);
  set("pop-segment", p.segment);
  set("pop-tier", p.tier);
  set("pop-service", p.service_id);
  set("pop-intent", [p.intent, p.topic].filter(Boolean).join(" / "));
  set("pop-product", p.product);
  set("pop-ticket", p.open_ticket);
  set("pop-identified", p.identified_by ? t("idby." + p.identified_by) : "");
  set("pop-keys", p.keys ? p.keys.trim().split(/\s+/).join(" › ") : ""); // one entry per prompt, space-separated
  set("pop-queue", h.queue);
  set("pop-call", h.call_id);
  if (h.answered_at) set("pop-waited", fmtDur(nsToMs(h.wait)));
  else set("pop-waited", fmtDur(Date.now() - Date.parse(h.enqueued_at)));
  $("call-phase").textContent = desk.phase ? t("call." + desk.phase) : "";
  $("call-phase").className = "tag ph-" + desk.phase;
  const d = h.disposition;
  if (d && fresh) {
    const r = document.querySelector('input[name="category"][value="' + d.category + '"]');
    if (r) r.checked = true;
    $("ticket").value = d.ticket_id || "";
    $("further").checked = !!d.further_help_offered;
    $("closing").checked = !!d.standard_closing;
  }
  const canAct = desk.phase === "connected" || desk.phase === "ended";
  for (const b of document.querySelectorAll("#dispo button, #escalate button")) b.disabled = !canAct;
  $("escalate").querySelector("button").disabled = desk.phase !== "connected";
  show($("no-call"), false);
  show($("call"), true);
}

function onEvent(type, ev) {
  switch (type) {
    case "snapshot":
      desk.me = ev;
      renderMe();
      if (ev.call_id) loadCall(ev.call_id, phaseOf(ev.state));
      break;
    case "state":
      refreshMe();
      break;
    case "offer":
      loadCall(ev.call_id, "ringing");
      break;
    case "offer_end":
      if (desk.call && desk.call.call_id === ev.call_id && desk.phase === "ringing") clearCall();
      break;
    case "connected":
      loadCall(ev.call_id, "connected");
      break;
    case "call_ended":
      if (desk.call && desk.call.call_id === ev.call_id) loadCall(ev.call_id, "ended");
      loadToday();
      break;
    case "wrap_up_end":
      if (desk.call && desk.call.call_id === ev.call_id) clearCall();
      refreshMe();
      loadToday();
      break;
    case "escalation_case":
      loadToday();
      break;
  }
}

const TICKET_RE = /^[A-Za-z0-9._\/-]{1,64}$/;

async function saveDisposition(e) {
  e.preventDefault();
  $("dispo-error").textContent = "";
  $("dispo-ok").textContent = "";
  const cat = document.querySelector('input[name="category"]:checked');
  const ticket = $("ticket").value.trim();
  if (!cat) { $("dispo-error").textContent = t("dispo.needCategory"); return; }
  if (ticket && !TICKET_RE.test(ticket)) { $("dispo-error").textContent = t("dispo.badTicket"); return; }
  try {
    desk.call = await api("POST", "/calls/" + encodeURIComponent(desk.call.call_id) + "/disposition", {
      category: cat.value, ticket_id: ticket, further_help_offered: $("further").checked, standard_closing: $("closing").checked,
    });
    $("dispo-ok").textContent = t("dispo.saved");
    tick();
    loadToday();
  } catch (err) {
    $("dispo-error").textContent = err.message;
  }
}

async function escalate(e) {
  e.preventDefault();
  $("esc-error").textContent = "";
  $("esc-ok").textContent = "";
  const reason = $("esc-reason").value.trim();
  if (!reason) { $("esc-error").textContent = t("esc.needReason"); return; }
  try {
    await api("POST", "/calls/" + encodeURIComponent(desk.call.call_id) + "/escalate", { reason });
    $("esc-ok").textContent = t("esc.done");
    $("esc-reason").value = "";
    desk.phase = "ended";
    renderCall(false);
    loadToday();
  } catch (err) {
    $("esc-error").textContent = err.message;
  }
}

async function askHelp(e) {
  e.preventDefault();
  $("help-error").textContent = "";
  $("help-ok").textContent = "";
  try {
    await api("POST", "/calls/" + encodeURIComponent(desk.call.call_id) + "/help", { note: $("help-note").value.trim() });
    $("help-ok").textContent = t("help.sent");
  } catch (err) {
    $("help-error").textContent = err.message;
  }
}

let todayRows = [];

async function loadToday() {
  if (!desk.me) return;
  try {
    const r = await api("GET", "/agents/" + encodeURIComponent(desk.me.id) + "/calls");
    todayRows = r.calls || [];
  } catch (e) {
    return;
  }
  renderToday();
}

function renderToday() {
  const body = $("today");
  body.replaceChildren();
  for (const c of todayRows) {
    const tr = el("tr");
    tr.append(el("td", fmtTime(c.answered_at)), el("td", c.call_id, "mono"), el("td", c.queue || "—"),
      el("td", t("out." + c.outcome), "out out-" + c.outcome), el("td", c.ticket_id || "—", "mono"));
    body.append(tr);
  }
  show($("today-none"), todayRows.length === 0);
}

document.addEventListener("DOMContentLoaded", () => {
  langHooks.push(() => { renderMe(); renderToday(); if (desk.call) renderCall(false); if (desk.stream) setConn($("conn"), !$("conn").classList.contains("lost")); });
  setupChrome();
  $("signin-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const tok = $("token").value.trim();
    if (!tok) { signinError(t("signin.empty")); return; }
    signIn(tok);
  });
  $("signout").addEventListener("click", () => signOut(""));
  $("btn-ready").addEventListener("click", onReady);
  $("btn-pause").addEventListener("click", () => stateOp("/pause", { reason: $("pause-reason").value }));
  $("btn-logout").addEventListener("click", () => stateOp("/logout"));
  $("dispo").addEventListener("submit", saveDisposition);
  $("escalate").addEventListener("submit", escalate);
  $("help").addEventListener("submit", askHelp);
  if (session.token) signIn(session.token);
});
