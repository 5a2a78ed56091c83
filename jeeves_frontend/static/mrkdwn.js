// Slack's message formatting ("mrkdwn") turned into what Slack shows a person, as DOM nodes.
//
// Safety: text from a message only ever becomes text nodes (append(string), textContent);
// elements come from createElement with fixed tag names, and a link's href is set only for
// http(s) and mailto URLs. Nothing here parses HTML, so nothing in a message can inject it.
//
// Rules followed (Slack's "Formatting text for app surfaces"): the text arrives with &, < and >
// escaped as &amp; &lt; &gt;; <...> holds a mention (<@U1|name>), a channel (<#C1|name>), a
// special mention (<!here>) or a link (<https://x|label>); *bold*, _italic_, ~strike~ open after
// a non-word character and close before one; `code` and ```code blocks``` are not formatted
// inside; a line starting with "&gt; " is a quote; a line starting with "•" or "- " is a bullet.

const ENTITIES = { amp: "&", lt: "<", gt: ">" };
const STYLES = { "*": "strong", _: "em", "~": "del" };
const SAFE_SCHEMES = new Set(["http:", "https:", "mailto:"]);
const BULLET = /^\s*(?:[•◦▪]|-(?=\s))\s*(.*)$/u;
const QUOTE = /^&gt;\s?(.*)$/;
const WORD = /[\p{L}\p{N}_]/u;
const SPACE = /\s/u;

/** Slack's three escapes undone, in one pass (so "&amp;lt;" stays "&lt;"). */
export function decodeEntities(text) {
  return text.replace(/&(amp|lt|gt);/g, (_, name) => ENTITIES[name]);
}

/** What Slack does to text a person types: &, < and > escaped. */
export function escapeSlack(text) {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** A DocumentFragment showing Slack-escaped mrkdwn ``text``. */
export function renderMrkdwn(text) {
  const fragment = document.createDocumentFragment();
  const parts = text.split("```");
  if (parts.length % 2 === 0) {
    // An odd number of fences: the last one is never closed, so it is plain text.
    const tail = parts.pop();
    parts[parts.length - 1] += `\`\`\`${tail}`;
  }
  parts.forEach((part, index) => {
    if (index % 2 === 1) fragment.append(codeBlock(part));
    else renderLines(part, fragment);
  });
  return fragment;
}

function codeBlock(text) {
  const pre = document.createElement("pre");
  pre.textContent = plainText(text.replace(/^\n/, "").replace(/\n$/, ""));
  return pre;
}

/** Lines grouped into paragraphs, bullet lists and quotes; a blank line ends a group. */
function renderLines(text, parent) {
  let group = null;
  for (const line of text.split("\n")) {
    if (line.trim() === "") {
      group = null;
      continue;
    }
    const bullet = BULLET.exec(line);
    const quote = bullet ? null : QUOTE.exec(line);
    const tag = bullet ? "UL" : quote ? "BLOCKQUOTE" : "P";
    if (group?.nodeName !== tag) {
      group = document.createElement(tag);
      parent.append(group);
    } else if (tag !== "UL") {
      group.append("\n");
    }
    if (bullet) {
      const item = document.createElement("li");
      renderInline(bullet[1], item);
      group.append(item);
    } else {
      renderInline(quote ? quote[1] : line, group);
    }
  }
}

/** Inline formatting of one line, appended to ``parent``. */
function renderInline(text, parent) {
  let plain = "";
  const flush = () => {
    if (plain) parent.append(decodeEntities(plain));
    plain = "";
  };
  for (let i = 0; i < text.length; ) {
    const c = text[i];
    const end = c === "`" ? codeEnd(text, i) : c === "<" ? tokenEnd(text, i) : styleEnd(text, i);
    if (end < 0) {
      plain += c;
      i += 1;
      continue;
    }
    flush();
    const inner = text.slice(i + 1, end);
    if (c === "`") {
      const code = document.createElement("code");
      code.textContent = plainText(inner);
      parent.append(code);
    } else if (c === "<") {
      parent.append(reference(inner));
    } else {
      const styled = document.createElement(STYLES[c]);
      renderInline(inner, styled);
      parent.append(styled);
    }
    i = end + 1;
  }
  flush();
}

function codeEnd(text, start) {
  const end = text.indexOf("`", start + 1);
  return end > start + 1 ? end : -1;
}

function tokenEnd(text, start) {
  const end = text.indexOf(">", start + 1);
  if (end < 0) return -1;
  return text.slice(start + 1, end).includes("<") ? -1 : end;
}

/** Where the *bold*, _italic_ or ~strike~ opened at ``start`` closes, or -1. */
function styleEnd(text, start) {
  const mark = text[start];
  if (!STYLES[mark]) return -1;
  const next = text[start + 1];
  if (start > 0 && WORD.test(text[start - 1])) return -1;
  if (next === undefined || next === mark || SPACE.test(next)) return -1;
  for (let j = start + 2; j < text.length; j += 1) {
    const c = text[j];
    if (c === "`" || c === "<") {
      const skip = c === "`" ? codeEnd(text, j) : tokenEnd(text, j);
      if (skip > 0) j = skip;
      continue;
    }
    const after = text[j + 1];
    if (c === mark && !SPACE.test(text[j - 1]) && (after === undefined || !WORD.test(after))) {
      return j;
    }
  }
  return -1;
}

/** What a <...> token shows: a mention, a channel, a special mention or a link. */
function describe(token) {
  const bar = token.indexOf("|");
  const target = decodeEntities(bar < 0 ? token : token.slice(0, bar));
  const label = decodeEntities(bar < 0 ? "" : token.slice(bar + 1));
  if (target.startsWith("@")) return { kind: "mention", text: `@${label || target.slice(1)}` };
  if (target.startsWith("#")) return { kind: "mention", text: `#${label || target.slice(1)}` };
  if (target.startsWith("!")) {
    // <!here>, <!channel>, <!subteam^S1|@team>, <!date^...|fallback>
    return { kind: "mention", text: label || `@${target.slice(1).split("^")[0]}` };
  }
  const shown = label || target.replace(/^mailto:/, "");
  return { kind: "link", text: shown, href: isSafeUrl(target) ? target : null };
}

function reference(token) {
  const { kind, text, href } = describe(token);
  if (kind === "link" && href) {
    const link = document.createElement("a");
    link.href = href;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    link.textContent = text;
    return link;
  }
  const span = document.createElement("span");
  span.className = kind;
  span.textContent = text;
  return span;
}

function isSafeUrl(target) {
  try {
    return SAFE_SCHEMES.has(new URL(target).protocol);
  } catch {
    return false;
  }
}

/** Text inside code: tokens shown as their labels, entities decoded, nothing else. */
function plainText(text) {
  return decodeEntities(
    text.replace(/<([^<>]*)>/g, (_, token) => escapeSlack(describe(token).text)),
  );
}
