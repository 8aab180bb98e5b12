// Shared by the agent desktop and the leaders' board: strings (Bahasa
// Indonesia by default, English switchable), the API client and the event
// stream reader. The token lives in sessionStorage only; it is sent in the
// Authorization header, never in a URL. Every string from the server is put
// into the page with textContent.
"use strict";

const STRINGS = {
  id: {
    "lang.switch": "English", "signout": "Keluar dari halaman",
    "desk.title": "Desktop Agen", "board.title": "Papan Team Leader",
    "signin.title": "Masuk", "signin.token": "Token agen", "signin.tokenLeader": "Token Team Leader / Supervisor",
    "signin.hint": "Token dari konfigurasi (agents[].token). Disimpan hanya di tab ini.", "signin.go": "Masuk",
    "signin.refused": "Token ditolak: periksa token Anda atau hubungi Supervisor.",
    "signin.notLeader": "Token ini milik agen, bukan Team Leader / Supervisor.",
    "signin.empty": "Masukkan token.", "err.network": "Tidak dapat menghubungi server.",
    "state.title": "Status", "state.ready": "Siap", "state.pause": "Jeda", "state.logout": "Log out",
    "reason.break": "Istirahat", "reason.no_answer": "tidak menjawab", "reason.leader": "oleh Team Leader", "reason.prayer": "Ibadah", "reason.briefing": "Briefing", "reason.training": "Pelatihan", "reason.toilet": "Toilet",
    "st.logged_out": "Tidak masuk", "st.available": "Siap", "st.reserved": "Berdering", "st.on_call": "Dalam panggilan",
    "st.wrap_up": "Wrap-up", "st.paused": "Jeda", "st.offline": "Offline",
    "wrap.left": "Sisa wrap-up", "wrap.reminder": "Wrap-up hampir habis dan disposisi belum dicatat.",
    "call.title": "Panggilan", "call.none": "Tidak ada panggilan.", "call.ringing": "berdering", "call.connected": "tersambung",
    "call.ended": "selesai — wrap-up",
    "pop.name": "Nama pelanggan", "pop.segment": "Segmen", "pop.tier": "Tier", "pop.service": "ID layanan",
    "pop.intent": "Keperluan", "pop.product": "Produk", "pop.ticket": "Tiket terbuka", "pop.identified": "Dikenali lewat",
    "pop.keys": "Jalur IVR", "pop.waited": "Lama menunggu", "pop.queue": "Antrean", "pop.call": "ID panggilan",
    "idby.ani": "nomor penelepon", "idby.sid": "ID layanan", "idby.none": "tidak dikenali",
    "dispo.title": "Disposisi", "dispo.category": "Kategori", "dispo.ticket": "ID tiket",
    "dispo.further": "Menawarkan bantuan lain", "dispo.closing": "Salam penutup standar", "dispo.save": "Simpan disposisi",
    "dispo.needCategory": "Pilih kategori.", "dispo.badTicket": "ID tiket: 1–64 huruf, angka, '.', '_', '-', '/'.",
    "dispo.saved": "Disposisi tersimpan.",
    "cat.information": "Informasi", "cat.request": "Permintaan", "cat.complaint": "Keluhan",
    "esc.title": "Eskalasi ke Team Leader", "esc.go": "Eskalasi", "esc.needReason": "Tulis alasan eskalasi.",
    "esc.done": "Panggilan dieskalasi ke Team Leader.",
    "help.title": "Minta bantuan", "help.go": "Minta bantuan", "help.sent": "Team Leader sudah diberi tahu.",
    "today.title": "Panggilan hari ini", "today.time": "Jam", "today.call": "Panggilan", "today.queue": "Antrean",
    "today.outcome": "Hasil", "today.ticket": "Tiket", "today.none": "Belum ada panggilan hari ini.",
    "out.information": "Informasi", "out.request": "Permintaan", "out.complaint": "Keluhan", "out.escalated": "Dieskalasi",
    "out.not_recorded": "Tidak dicatat", "out.in_progress": "Berlangsung", "out.ended": "Selesai", "out.expired": "Kedaluwarsa",
    "conn.live": "● terhubung", "conn.lost": "● menyambung ulang…",
    "queues.title": "Antrean", "queues.name": "Antrean", "queues.waiting": "Menunggu", "queues.oldest": "Terlama",
    "queues.sl": "SL", "queues.agents": "Agen per status",
    "inbox.title": "Kotak eskalasi", "inbox.none": "Tidak ada eskalasi terbuka.", "inbox.take": "Ambil",
    "inbox.resolve": "Selesaikan", "inbox.note": "Catatan penyelesaian", "inbox.needNote": "Tulis catatan penyelesaian.",
    "inbox.by": "oleh", "inbox.from": "dari antrean", "inbox.takenBy": "diambil oleh",
    "case.open": "terbuka", "case.taken": "diambil", "case.resolved": "selesai",
    "helpq.title": "Permintaan bantuan", "helpq.none": "Tidak ada permintaan bantuan.", "helpq.dismiss": "Tutup",
    "agents.title": "Agen", "agents.name": "Agen", "agents.state": "Status", "agents.since": "Lama", "agents.call": "Panggilan",
    "agents.calls": "Diterima", "agents.actions": "Tindakan", "agents.pause": "Jeda", "agents.logout": "Log out", "agents.ready": "Siap",
    "role.team_leader": "Team Leader", "role.supervisor": "Supervisor", "role.agent": "Agen",
  },
  en: {
    "lang.switch": "Bahasa Indonesia", "signout": "Sign out",
    "desk.title": "Agent Desktop", "board.title": "Team Leader Board",
    "signin.title": "Sign in", "signin.token": "Agent token", "signin.tokenLeader": "Team Leader / Supervisor token",
    "signin.hint": "The token from the configuration (agents[].token). Kept in this tab only.", "signin.go": "Sign in",
    "signin.refused": "Token refused: check your token or ask your Supervisor.",
    "signin.notLeader": "This token is an agent's, not a Team Leader's or Supervisor's.",
    "signin.empty": "Enter a token.", "err.network": "Cannot reach the server.",
    "state.title": "State", "state.ready": "Ready", "state.pause": "Pause", "state.logout": "Log out",
    "reason.break": "Break", "reason.no_answer": "did not answer", "reason.leader": "by the Team Leader", "reason.prayer": "Prayer", "reason.briefing": "Briefing", "reason.training": "Training", "reason.toilet": "Toilet",
    "st.logged_out": "Logged out", "st.available": "Ready", "st.reserved": "Ringing", "st.on_call": "On a call",
    "st.wrap_up": "Wrap-up", "st.paused": "Paused", "st.offline": "Offline",
    "wrap.left": "Wrap-up left", "wrap.reminder": "Wrap-up is about to end and no disposition is recorded.",
    "call.title": "Call", "call.none": "No call.", "call.ringing": "ringing", "call.connected": "connected",
    "call.ended": "ended — wrap-up",
    "pop.name": "Customer name", "pop.segment": "Segment", "pop.tier": "Tier", "pop.service": "Service ID",
    "pop.intent": "Intent", "pop.product": "Product", "pop.ticket": "Open ticket", "pop.identified": "Identified by",
    "pop.keys": "IVR path", "pop.waited": "Time waited", "pop.queue": "Queue", "pop.call": "Call ID",
    "idby.ani": "caller number", "idby.sid": "service ID", "idby.none": "not identified",
    "dispo.title": "Disposition", "dispo.category": "Category", "dispo.ticket": "Ticket ID",
    "dispo.further": "Further help offered", "dispo.closing": "Standard closing given", "dispo.save": "Save disposition",
    "dispo.needCategory": "Choose a category.", "dispo.badTicket": "Ticket ID: 1–64 letters, digits, '.', '_', '-', '/'.",
    "dispo.saved": "Disposition saved.",
    "cat.information": "Information", "cat.request": "Request", "cat.complaint": "Complaint",
    "esc.title": "Escalate to Team Leader", "esc.go": "Escalate", "esc.needReason": "Write why you escalate.",
    "esc.done": "Call escalated to the Team Leader.",
    "help.title": "Ask for help", "help.go": "Ask for help", "help.sent": "The Team Leaders are notified.",
    "today.title": "Today's calls", "today.time": "Time", "today.call": "Call", "today.queue": "Queue",
    "today.outcome": "Outcome", "today.ticket": "Ticket", "today.none": "No calls yet today.",
    "out.information": "Information", "out.request": "Request", "out.complaint": "Complaint", "out.escalated": "Escalated",
    "out.not_recorded": "Not recorded", "out.in_progress": "In progress", "out.ended": "Ended", "out.expired": "Expired",
    "conn.live": "● live", "conn.lost": "● reconnecting…",
    "queues.title": "Queues", "queues.name": "Queue", "queues.waiting": "Waiting", "queues.oldest": "Oldest",
    "queues.sl": "SL", "queues.agents": "Agents by state",
    "inbox.title": "Escalation inbox", "inbox.none": "No open escalations.", "inbox.take": "Take",
    "inbox.resolve": "Resolve", "inbox.note": "Resolution note", "inbox.needNote": "Write a resolution note.",
    "inbox.by": "by", "inbox.from": "from queue", "inbox.takenBy": "taken by",
    "case.open": "open", "case.taken": "taken", "case.resolved": "resolved",
    "helpq.title": "Help requests", "helpq.none": "No help requests.", "helpq.dismiss": "Dismiss",
    "agents.title": "Agents", "agents.name": "Agent", "agents.state": "State", "agents.since": "For", "agents.call": "Call",
    "agents.calls": "Taken", "agents.actions": "Actions", "agents.pause": "Pause", "agents.logout": "Log out", "agents.ready": "Ready",
    "role.team_leader": "Team Leader", "role.supervisor": "Supervisor", "role.agent": "Agent",
  },
};

const LANG_KEY = "tenesa.lang";
const TOKEN_KEY = "tenesa.token";

let lang = localStorage.getItem(LANG_KEY) === "en" ? "en" : "id";

function t(key) {
  return (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.id[key] || key;
}

const langHooks = [];

function applyLang() {
  document.documentElement.lang = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const f of langHooks) f();
}

// reasonText names a known pause reason in the language; others as given.
function reasonText(r) {
  return STRINGS.id["reason." + r] ? t("reason." + r) : r;
}

function $(id) { return document.getElementById(id); }

// el builds an element with text (never HTML) and classes.
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function show(node, on) { node.hidden = !on; }

function fmtDur(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h > 0 ? h + ":" + mm + ":" + ss : mm + ":" + ss;
}

// Durations in the API's JSON are Go nanoseconds.
function nsToMs(ns) { return Math.round((ns || 0) / 1e6); }

function fmtTime(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return "";
  return d.toLocaleTimeString(lang === "en" ? "en-GB" : "id-ID", { hour: "2-digit", minute: "2-digit" });
}

const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY) || ""; },
  set token(v) { if (v) sessionStorage.setItem(TOKEN_KEY, v); else sessionStorage.removeItem(TOKEN_KEY); },
};

class APIError extends Error {
  constructor(status, reason, field) {
    super(reason);
    this.status = status;
    this.field = field || "";
  }
}

// api calls the agent API with the session's token.
async function api(method, path, body) {
  const opts = { method, headers: { "Authorization": "Bearer " + session.token }, cache: "no-store", credentials: "omit" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch("/api/v1" + path, opts);
  } catch (e) {
    throw new APIError(0, t("err.network"));
  }
  let data = null;
  try { data = await resp.json(); } catch (e) { data = null; }
  if (!resp.ok) {
    throw new APIError(resp.status, (data && data.error) || resp.statusText, data && data.field);
  }
  return data;
}

// EventStream reads an SSE stream with fetch (EventSource cannot send the
// Authorization header), reconnecting by itself with Last-Event-ID.
class EventStream {
  constructor(path, onEvent, onConn, onDenied) {
    this.path = path;
    this.onEvent = onEvent;
    this.onConn = onConn;
    this.onDenied = onDenied;
    this.lastId = "";
    this.retry = 3000;
    this.stopped = false;
    this.ctrl = null;
    this.run();
  }

  stop() {
    this.stopped = true;
    if (this.ctrl) this.ctrl.abort();
  }

  async run() {
    while (!this.stopped) {
      this.ctrl = new AbortController();
      const headers = { "Authorization": "Bearer " + session.token, "Accept": "text/event-stream" };
      if (this.lastId) headers["Last-Event-ID"] = this.lastId;
      try {
        const resp = await fetch("/api/v1" + this.path, { headers, cache: "no-store", credentials: "omit", signal: this.ctrl.signal });
        if (resp.status === 401 || resp.status === 403) {
          this.stopped = true;
          this.onDenied(resp.status);
          return;
        }
        if (resp.ok && resp.body) {
          this.onConn(true);
          await this.read(resp.body.getReader());
        }
      } catch (e) {
        // network cut or abort: reconnect below
      }
      if (this.stopped) return;
      this.onConn(false);
      await new Promise((res) => setTimeout(res, this.retry));
    }
  }

  async read(reader) {
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += dec.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const frame = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        this.frame(frame);
      }
    }
  }

  frame(text) {
    let id = null, type = "message", data = "";
    for (const line of text.split("\n")) {
      if (line.startsWith(":")) continue;
      const i = line.indexOf(":");
      const k = i < 0 ? line : line.slice(0, i);
      let v = i < 0 ? "" : line.slice(i + 1);
      if (v.startsWith(" ")) v = v.slice(1);
      if (k === "id") id = v;
      else if (k === "event") type = v;
      else if (k === "data") data += (data ? "\n" : "") + v;
      else if (k === "retry" && /^\d+$/.test(v)) this.retry = Number(v);
    }
    if (id !== null) this.lastId = id;
    if (!data) return;
    let obj;
    try { obj = JSON.parse(data); } catch (e) { return; }
    this.onEvent(type, obj);
  }
}

function setConn(node, live) {
  node.textContent = t(live ? "conn.live" : "conn.lost");
  node.classList.toggle("lost", !live);
}

// setupChrome wires the language switch.
function setupChrome() {
  $("lang").addEventListener("click", () => {
    lang = lang === "id" ? "en" : "id";
    localStorage.setItem(LANG_KEY, lang);
    applyLang();
  });
  applyLang();
}
