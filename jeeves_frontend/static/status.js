// The jeeves dev status page: read /dev/status.json every second and show it. Text only
// (textContent, never HTML): a failure's reason may quote what someone typed.

const STATUS = "/dev/status.json";
const EVERY_MS = 1000;
const TIMEOUT_MS = 4000;

const byId = (id) => document.getElementById(id);

function cell(row, text, header = false) {
  const element = document.createElement(header ? "th" : "td");
  if (header) element.scope = "row";
  element.textContent = String(text);
  row.append(element);
}

function fill(body, rows) {
  body.replaceChildren(
    ...rows.map((values) => {
      const row = document.createElement("tr");
      values.forEach((value, index) => cell(row, value, index === 0));
      return row;
    }),
  );
}

function show(status) {
  byId("actions").textContent = status.published.actions;
  byId("replies").textContent = status.published.replies;
  for (const outcome of ["published", "ignored", "duplicate", "refused"]) {
    byId(`events-${outcome}`).textContent = status.slack_events[outcome] ?? 0;
  }
  const kinds = Object.keys(status.handled).sort();
  fill(
    byId("handled"),
    kinds.map((kind) => {
      const counts = status.handled[kind];
      return [kind, counts.acked ?? 0, counts.retried ?? 0, counts.dead_lettered ?? 0];
    }),
  );
  fill(
    byId("depths"),
    Object.entries(status.queues).sort(([a], [b]) => a.localeCompare(b)),
  );
  const failures = byId("failures");
  failures.replaceChildren(
    ...status.failures.map((failure) => {
      const item = document.createElement("li");
      const when = document.createElement("time");
      when.dateTime = failure.at;
      when.textContent = failure.at;
      item.append(when, ` ${failure.queue} ${failure.outcome.replace("_", "-")}: ${failure.reason}`);
      return item;
    }),
  );
  byId("no-failures").hidden = status.failures.length > 0;
}

async function refresh() {
  const connection = byId("connection");
  try {
    const response = await fetch(STATUS, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) throw new Error(`status ${response.status}`);
    show(await response.json());
    connection.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    connection.classList.remove("down");
  } catch {
    connection.textContent = "Cannot reach jeeves dev: is it still running?";
    connection.classList.add("down");
  }
  setTimeout(refresh, EVERY_MS);
}

refresh();
