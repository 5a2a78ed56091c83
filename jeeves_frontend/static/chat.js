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
  message_too_long: "That message is too long for Jeeves. Shorten it and send it again.",
  request_entity_too_large: "That message is too long for Jeeves. Shorten it and send it again.",
  temporarily_unavailable: "Jeeves is busy or restarting. Wait a moment and send it again.",
  internal_error: "Something went wrong inside Jeeves (see its terminal). Send it again.",
};
// True because every message carries its own Idempotency-Key (see keyFor): a resend of one that
// Jeeves did get after all is answered with the first result, not acted on again.
const UNREACHABLE =
  "Could not reach Jeeves: is jeeves dev still running? Your message is kept: send it again " +
  "(if Jeeves did get it, it still acts on it only once).";
const UNREACHABLE_EXAMPLE =
  "Could not reach Jeeves: is jeeves dev still running? Click the example again to resend it " +
  "(if Jeeves did get it, it still acts on it only once).";

const page = {
  main: document.getElementById("main"),
  log: document.getElementById("log"),
  form: document.getElementById("say"),
  input: document.getElementById("text"),
  send: document.getElementById("send"),
  error: document.getElementById("error"),
  connection: document.getElementById("connection"),
};

let lastId = 0;
// The id of the conversation shown: jeeves dev makes a new one, numbered from 1 again, each run.
let conversation = null;
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
  return body;
}

/** Whether ``id`` says jeeves dev restarted since the page last heard from it; if so, the
 * page starts showing the new conversation from its first message. */
function restarted(id) {
  if (typeof id !== "string" || id === conversation) return false;
  const known = conversation !== null;
  conversation = id;
  if (known) {
    showNote("Jeeves restarted: a new conversation starts here.");
    lastId = 0;
  }
  return known;
}

async function pollForever() {
  for (;;) {
    try {
      const timeout = AbortSignal.timeout((POLL_WAIT_S + 10) * 1000);
      const signal = AbortSignal.any([poller.signal, timeout]);
      // The first look (the history) and looks while Jeeves seems away do not wait.
      const loaded = !page.log.hasAttribute("aria-busy");
      const from = lastId;
      const body = await getMessages(from, loaded && online ? POLL_WAIT_S : 0, signal);
      if (restarted(body.conversation)) continue; // read the new conversation from its start
      if (lastId !== from) continue; // a restart was noticed meanwhile: ask again
      show(body.messages);
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
    // Is this a restarted jeeves dev? Asked now: the poll, once back, may wait a while.
    const body = await getMessages(lastId, 0, AbortSignal.timeout(HEARTBEAT_TIMEOUT_MS));
    restarted(body.conversation);
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

function errorText(failure, text) {
  if (!(failure instanceof RequestFailed)) {
    return page.input.value === text ? UNREACHABLE : UNREACHABLE_EXAMPLE;
  }
  const body = failure.body ?? {};
  if (typeof body.message === "string" && body.message) return body.message;
  if (body.error === "message_too_long" && Number.isInteger(body.max_length)) {
    const has = [...text].length.toLocaleString("en");
    const limit = body.max_length.toLocaleString("en");
    return `That message is too long: Jeeves reads at most ${limit} characters, and it has ${has}. Shorten it and send it again.`;
  }
  if (typeof body.error === "string" && Object.hasOwn(ERRORS, body.error)) {
    return ERRORS[body.error];
  }
  return `Jeeves could not take that message (HTTP ${failure.status}). It is kept; send it again.`;
}

// The message not yet known to have reached Jeeves, and its Idempotency-Key: made once for
// the message, sent again with every resend of it, so Jeeves acts on it once whatever the
// network lost. Another text is another message, with a key of its own.
let unsent = null;

function keyFor(text) {
  if (unsent?.text !== text) {
    // getRandomValues, not randomUUID: the latter exists only on https or localhost pages,
    // and jeeves dev may be opened by another name.
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    unsent = { text, key: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") };
  }
  return unsent.key;
}

async function post(text) {
  const response = await fetch(MESSAGES, {
    method: "POST",
    headers: { "Content-Type": "application/json", "Idempotency-Key": keyFor(text) },
    body: JSON.stringify({ text }),
    signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
  });
  const body = await jsonOf(response);
  if (!response.ok) throw new RequestFailed(response.status, body);
  return body ?? {};
}

// While a message is on its way the input is read-only and Send says so: what is typed then
// would otherwise join the message being sent (which is cleared only once Jeeves has it).
function setSending(on) {
  sending = on;
  page.input.readOnly = on;
  page.send.disabled = on;
  page.send.textContent = on ? "Sending…" : "Send";
  if (on) page.form.setAttribute("aria-busy", "true");
  else page.form.removeAttribute("aria-busy");
}

async function send(text) {
  if (sending) return;
  if (!text.trim()) {
    showError("Type a message for Jeeves first, or pick an example above.");
    return;
  }
  const focused = document.activeElement === page.input || document.activeElement === page.send;
  setSending(true);
  try {
    const body = await post(text);
    unsent = null;
    if (restarted(body.conversation)) restartPoll();
    // Jeeves has it: only now is the text cleared. The poll shows it, in order with the answers.
    if (page.input.value === text) page.input.value = "";
    showError("");
  } catch (failure) {
    showError(errorText(failure, text));
  } finally {
    setSending(false);
    if (focused) page.input.focus(); // a disabled Send button loses the focus
  }
}

page.form.addEventListener("submit", (event) => {
  event.preventDefault();
  send(page.input.value);
});

// The input's maxlength cuts a longer paste silently: say so, and what the limit is.
page.input.addEventListener("paste", (event) => {
  const pasted = (event.clipboardData?.getData("text") ?? "").replace(/[\r\n]/g, "");
  const { value, selectionStart, selectionEnd, maxLength } = page.input;
  const room = maxLength - value.length + (selectionEnd - selectionStart);
  if (page.input.readOnly || maxLength < 0 || pasted.length <= room) return;
  const limit = maxLength.toLocaleString("en");
  // After the paste's own input event, which clears earlier errors.
  setTimeout(() =>
    showError(
      `What you pasted was cut to fit: a message to Jeeves has at most ${limit} characters.`,
    ),
  );
});

page.input.addEventListener("input", () => {
  if (!page.error.hidden) showError("");
});

// An example is sent as it is. It goes in the input only when that is empty (where a failed
// send keeps it to send again); a draft the person was writing is left as it was.
for (const example of document.querySelectorAll("button.example")) {
  example.addEventListener("click", () => {
    if (!page.input.value.trim()) page.input.value = example.textContent;
    page.input.focus();
    send(example.textContent);
  });
}

pollForever();
heartbeat();
