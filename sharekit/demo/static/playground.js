/* The playground re-renders on every change: it asks the demo for the page with the new
   choices and swaps in the preview and the snippets. Without it, "Apply" does the same. */
(() => {
  "use strict";
  const form = document.querySelector("[data-playground]");
  if (!form) return;
  const status = document.querySelector("[data-playground-status]");
  let pending = null;

  async function refresh() {
    const query = new URLSearchParams(new FormData(form));
    const url = `${form.action}?${query}`;
    const response = await fetch(url, { headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const next = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const selector of ["[data-playground-preview]", "#pg-jinja-code", "#pg-html-code"]) {
      document.querySelector(selector).replaceWith(next.querySelector(selector));
    }
    history.replaceState(null, "", url);
  }

  form.addEventListener("change", () => {
    clearTimeout(pending);
    pending = setTimeout(refresh, 150);
  });
  form.addEventListener("input", (event) => {
    if (event.target.name === "order") {
      clearTimeout(pending);
      pending = setTimeout(refresh, 400);
    }
  });

  document.querySelectorAll("[data-copy]").forEach((button) => {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", () => {
      const code = document.getElementById(button.dataset.copy).textContent;
      navigator.clipboard.writeText(code).then(() => { status.textContent = button.dataset.done; });
    });
  });
})();
