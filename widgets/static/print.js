/* sharekit print view: a Print button instead of the hint to use the browser's command. */
(() => {
  "use strict";
  if (typeof window.print !== "function") return;
  const d = document;
  d.querySelectorAll("[data-sk-print]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  });
  d.querySelectorAll("[data-sk-print-hint]").forEach((hint) => { hint.hidden = true; });
})();
