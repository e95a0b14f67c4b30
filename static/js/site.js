// Every page's small enhancements (issue 21); each page works without them.
//
// 1. A "Copy" button after each whole NIK/KK number shown to an officer ([data-copy], from the
// `grouped_copy` filter): it copies the plain digits, without the spaces that group them on
// screen. Progressive: without this script (or without the clipboard API, outside a secure
// page) the number is simply shown, and can be selected as text.
(() => {
  "use strict";
  const script = document.currentScript;

  // 2. A <details data-open-wide> (the dashboard's filters and definitions) starts open on a
  // wide screen; on a phone it stays closed so that the figures come first.
  if (window.matchMedia && window.matchMedia("(min-width: 48rem)").matches) {
    document.querySelectorAll("details[data-open-wide]").forEach((details) => { details.open = true; });
  }

  if (!navigator.clipboard || !window.isSecureContext) return;
  const label = (script && script.dataset.label) || "Copy";
  const done = (script && script.dataset.done) || "Copied";
  document.querySelectorAll("[data-copy]").forEach((number) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button secondary small copy";
    button.textContent = label;
    button.addEventListener("click", () => {
      navigator.clipboard.writeText(number.dataset.copy).then(() => {
        button.textContent = done;
        setTimeout(() => { button.textContent = label; }, 2000);
      }, () => {});
    });
    number.after(button);
  });
})();
