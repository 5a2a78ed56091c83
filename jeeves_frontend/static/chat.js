// The jeeves dev chat page: send what the person types, long-poll the conversation, show it as
// Slack would (see mrkdwn.js), and say plainly when something goes wrong.

import { escapeSlack, renderMrkdwn } from "./mrkdwn.js";

const MESSAGES = "/dev/chat/messages";
const POLL_WAIT_S = 20;
// A waiting long poll cannot tell a quiet conversation from a hung or vanished server: a short
// heartbeat on /healthz is what notices a stopped jeeves dev within a few seconds.
const HEARTBEAT_EVERY_MS = 2000;
const HEARTBEAT_TIMEOUT_MS = 4000; // a busy machine may be slow to answer; a stopped one refuses
const SEND_TIMEOUT_MS = 10000;

const NAMES = { you: "You", jeeves: "Jeeves" };
// Human words for the error codes the front door answers with (jeeves_frontend/app.py).
const ERRORS = {
  invalid_message: "Jeeves could not read that message. Check it and send it again.",
  request_entity_too_large: "That message is too long for Jeeves. Shorten it and send it again.",
  temporarily_unavailable: "Jeeves is busy or restarting. Wait a moment and send it again.",
  internal_error: "Something went wrong inside Jeeves (see its terminal). Send it again.",
};
const UNREACHABLE =
  "Could not reach Jeeves: is jeeves dev still running? Your message is kept; send it again.";

const page = {
  main: document.getElementById("main"),
  log: document.getElementById("log"),
  form: document.getElementById("say"),
  input: document.getElementById("text"),
  error: document.getElementById("error"),
  connection: document.getElementById("connection"),
};

let lastId = 0;
let online = true;
let sending = false;
let pollFailed = false;
let poller = new AbortController();

const sleep = (ms) => new Promise((done) => setTimeout(done, ms));

// ---- showing messages -------------------------------------------------------------------

function isMessage(m) {
  return (
    m !== null &&
    typeof m === "object" &&
    Number.isInteger(m.id) &&
    typeof m.text === "string" &&
    (m.sender === "you" || m.sender === "jeeves")
  );
}

function timeOf(iso) {
  const at = new Date(iso);
  const time = document.createElement("time");
  if (Number.isNaN(at.getTime())) return time;
  time.dateTime = at.toISOString();
  time.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return time;
}

function messageRow(m) {
  const row = document.createElement("li");
  row.className = `msg from-${m.sender}`;
  const avatar = document.createElement("span");
  avatar.className = "avatar";
  avatar.setAttribute("aria-hidden", "true");
  avatar.textContent = NAMES[m.sender][0];
  const meta = document.createElement("p");
  meta.className = "meta";
  const who = document.createElement("strong");
  who.textContent = NAMES[m.sender];
  meta.append(who, " ", timeOf(m.at));
  const text = document.createElement("div");
  text.className = "text";
  // Jeeves answers in Slack's escaped mrkdwn; what a person typed is escaped here as Slack
  // escapes it, so both show as they would in Slack.
  text.append(renderMrkdwn(m.sender === "jeeves" ? m.text : escapeSlack(m.text)));
  const body = document.createElement("div");
  body.className = "body";
  body.append(meta, text);
  row.append(avatar, body);
  return row;
}

// Follow the conversation while the person is at its end; leave them be when they scrolled up.
let atEnd = true;

function scrollToEnd() {
  page.main.scrollTop = page.main.scrollHeight;
}

page.main.addEventListener(
  "scroll",
  () => {
    const { scrollTop, scrollHeight, clientHeight } = page.main;
    atEnd = scrollHeight - scrollTop - clientHeight < 80;
  },
  { passive: true },
);
// An error or a status above the input makes the conversation's box smaller: keep its end shown.
new ResizeObserver(() => {
  if (atEnd) scrollToEnd();
}).observe(page.main);

function show(messages) {
  let follow = atEnd;
  for (const m of messages) {
    if (!isMessage(m) || m.id <= lastId) continue;
    page.log.append(messageRow(m));
    lastId = m.id;
    follow ||= m.sender === "you";
  }
  if (follow) scrollToEnd();
}

function showNote(text) {
  const note = document.createElement("li");
  note.className = "note";
  note.textContent = text;
  page.log.append(note);
}

// ---- talking to the server ----------------------------------------------------------------

class RequestFailed extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** The JSON body of ``response``, or null when it has none (a proxy's HTML error page). */
async function jsonOf(response) {
  try {
    return await response.json();
  } catch {
    return null;
  }
}

async function getMessages(after, wait, signal) {
  const url = `${MESSAGES}?after=${after}&wait=${wait}`;
  const response = await fetch(url, { cache: "no-store", signal });
  const body = await jsonOf(response);
  if (!response.ok || !body || !Array.isArray(body.messages)) {
    throw new RequestFailed(response.status, body);
  }
  return body.messages;
}

async function pollForever() {
  for (;;) {
    try {
      const timeout = AbortSignal.timeout((POLL_WAIT_S + 10) * 1000);
      const signal = AbortSignal.any([poller.signal, timeout]);
      // The first look (the history) and looks while Jeeves seems away do not wait.
      const loaded = !page.log.hasAttribute("aria-busy");
      show(await getMessages(lastId, loaded && online ? POLL_WAIT_S : 0, signal));
      page.log.removeAttribute("aria-busy");
      if (pollFailed && online) setConnection("");
      pollFailed = false;
      if (!online) await sleep(1000);
    } catch (failure) {
      if (failure instanceof RequestFailed) {
        pollFailed = true;
        setConnection(`Jeeves answered with an error (HTTP ${failure.status}); trying again…`);
      } else if (failure.name !== "AbortError" && online) {
        // The connection broke (or hung): the heartbeat says when Jeeves is back.
        lostContact();
      }
      if (failure.name !== "AbortError") await sleep(1000);
    }
  }
}

async function isAlive() {
  try {
    const response = await fetch("/healthz", {
      cache: "no-store",
      signal: AbortSignal.timeout(HEARTBEAT_TIMEOUT_MS),
    });
    return response.ok;
  } catch {
    return false;
  }
}

async function heartbeat() {
  for (;;) {
    const alive = await isAlive();
    if (!alive && online) lostContact();
    else if (alive && !online) await regainedContact();
    await sleep(HEARTBEAT_EVERY_MS);
  }
}

function restartPoll() {
  poller.abort();
  poller = new AbortController();
}

function lostContact() {
  online = false;
  setConnection("Jeeves is not answering: is jeeves dev still running? Trying again…");
  restartPoll();
}

async function regainedContact() {
  online = true;
  try {
    // A restarted jeeves dev starts a new conversation, numbered from 1 again.
    const messages = await getMessages(0, 0, AbortSignal.timeout(HEARTBEAT_TIMEOUT_MS));
    const newest = Math.max(0, ...messages.filter(isMessage).map((m) => m.id));
    if (newest < lastId) {
      showNote("Jeeves restarted: a new conversation starts here.");
      lastId = 0;
    }
  } catch {
    // The poll will tell.
  }
  setConnection("Back in touch with Jeeves.", { fades: true });
  restartPoll();
}

let fadeTimer = 0;

function setConnection(text, { fades = false } = {}) {
  clearTimeout(fadeTimer);
  page.connection.textContent = text;
  page.connection.hidden = !text;
  page.connection.classList.toggle("ok", fades);
  if (fades) fadeTimer = setTimeout(() => setConnection(""), 3000);
}

// ---- sending ---------------------------------------------------------------------------

function showError(text) {
  page.error.textContent = text;
  page.error.hidden = !text;
  page.input.setAttribute("aria-invalid", text ? "true" : "false");
}

function errorText(failure) {
  if (!(failure instanceof RequestFailed)) return UNREACHABLE;
  const body = failure.body ?? {};
  if (typeof body.message === "string" && body.message) return body.message;
  if (typeof body.error === "string" && Object.hasOwn(ERRORS, body.error)) {
    return ERRORS[body.error];
  }
  return `Jeeves could not take that message (HTTP ${failure.status}). It is kept; send it again.`;
}

async function post(text) {
  const response = await fetch(MESSAGES, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  });
  if (!response.ok) throw new RequestFailed(response.status, await jsonOf(response));
}

async function send(text) {
  if (sending) return;
  if (!text.trim()) {
    showError("Type a message for Jeeves first, or pick an example above.");
    return;
  }
  sending = true;
  page.form.setAttribute("aria-busy", "true");
  try {
    await post(text);
    // Jeeves has it: only now is the text cleared. The poll shows it, in order with the answers.
    if (page.input.value === text) page.input.value = "";
    showError("");
  } catch (failure) {
    showError(errorText(failure));
  } finally {
    sending = false;
    page.form.removeAttribute("aria-busy");
  }
}

page.form.addEventListener("submit", (event) => {
  event.preventDefault();
  send(page.input.value);
});

page.input.addEventListener("input", () => {
  if (!page.error.hidden) showError("");
});

for (const example of document.querySelectorAll("button.example")) {
  example.addEventListener("click", () => {
    page.input.value = example.textContent;
    page.input.focus();
    send(example.textContent);
  });
}

pollForever();
heartbeat();
