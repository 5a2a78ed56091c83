// The dashboard's only script besides htmx: messages for what htmx cannot show by itself,
// and focus for keyboard users after a section is replaced. No inline script anywhere (CSP).
"use strict";

const flash = () => document.getElementById("flash");

function say(text) {
  const region = flash();
  if (!region) return;
  const message = document.createElement("p");
  message.className = "message error";
  message.textContent = text;
  region.replaceChildren(message);
}

// Where the keyboard was when a request left (a CSS selector), to put it back when the
// section it was in is replaced: otherwise focus falls to <body> and a keyboard user has to
// tab through the whole page again.
let focusedBefore = null;

function selectorOf(element) {
  if (!element || element === document.body) return null;
  if (element.id) return `#${CSS.escape(element.id)}`;
  const form = element.closest("form[id]");
  if (!form) return null;
  if (element.name) return `#${CSS.escape(form.id)} [name="${CSS.escape(element.name)}"]`;
  if (element.type === "submit") return `#${CSS.escape(form.id)} [type="submit"]`;
  return null;
}

// A new request: the previous message no longer applies.
document.addEventListener("htmx:beforeRequest", () => {
  flash()?.replaceChildren();
  focusedBefore = selectorOf(document.activeElement);
});

// No answer at all (the server is down, or the network is): htmx has nothing to swap.
document.addEventListener("htmx:sendError", () =>
  say("Jeeves could not be reached, so nothing was changed. Check your connection and try again."),
);
document.addEventListener("htmx:timeout", () =>
  say("Jeeves took too long to answer. Please try again."),
);

// After a form comes back with errors, put the keyboard on the first field to fix; else
// back where it was, if the swap took it away.
document.addEventListener("htmx:afterSwap", () => {
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) {
    invalid.focus();
    return;
  }
  if (focusedBefore && (!document.activeElement || document.activeElement === document.body)) {
    document.querySelector(focusedBefore)?.focus();
  }
  if (flash()?.textContent.trim()) {
    flash().scrollIntoView({ block: "nearest" });
  }
});
