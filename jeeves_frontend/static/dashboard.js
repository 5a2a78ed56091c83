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

// A new request: the previous message no longer applies.
document.addEventListener("htmx:beforeRequest", () => flash()?.replaceChildren());

// No answer at all (the server is down, or the network is): htmx has nothing to swap.
document.addEventListener("htmx:sendError", () =>
  say("Jeeves could not be reached, so nothing was changed. Check your connection and try again."),
);
document.addEventListener("htmx:timeout", () =>
  say("Jeeves took too long to answer. Please try again."),
);

// After a form comes back with errors, put the keyboard on the first field to fix.
document.addEventListener("htmx:afterSwap", () => {
  const invalid = document.querySelector("[aria-invalid='true']");
  if (invalid) {
    invalid.focus();
  } else if (flash()?.textContent.trim()) {
    flash().scrollIntoView({ block: "nearest" });
  }
});
