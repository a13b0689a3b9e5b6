/* sharekit comments: enhances the server-rendered thread and form. Without this file the
   form posts normally and the page comes back with the new comment or the errors. */
(() => {
  "use strict";
  const d = document;
  const me = d.currentScript;
  const service = me ? me.src.replace(/\/static\/[^/]*$/, "") : "";
  const KEY = "sharekit:author";
  const store = () => { try { return window.localStorage; } catch (e) { return null; } };
  const $ = (root, s) => root.querySelector(s);
  const FIELDS = ["text", "name", "email", "website", "consent", "notify"];

  function say(section, text) { $(section, "[data-sk-live]").textContent = text; }

  function clearErrors(form) {
    form.querySelectorAll(".sk-form__error[data-sk-js]").forEach((el) => el.remove());
    form.querySelectorAll("[aria-invalid]").forEach((el) => el.removeAttribute("aria-invalid"));
    const summary = $(form, "[data-sk-summary]");
    if (summary) summary.remove();
  }

  function showErrors(form, message, errors) {
    clearErrors(form);
    const box = d.createElement("div");
    box.className = "sk-form__summary";
    box.setAttribute("role", "alert");
    box.tabIndex = -1;
    box.dataset.skSummary = "";
    box.textContent = message;
    $(form, ".sk-form__note").after(box);
    let first = null;
    FIELDS.forEach((name) => {
      const input = form.elements[name];
      if (!errors[name] || !input) return;
      const id = `sk-c-${name}-error`;
      const old = d.getElementById(id);
      if (old) old.remove();
      const span = d.createElement("span");
      span.className = "sk-form__error";
      span.id = id;
      span.dataset.skJs = "";
      span.textContent = errors[name];
      input.setAttribute("aria-invalid", "true");
      const ids = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
      input.setAttribute("aria-describedby", [...ids, id].join(" "));
      input.closest("p").append(span);
      first = first || input;
    });
    (first || box).focus();
  }

  function remember(form) {
    const saved = store();
    if (!saved) return;
    const box = form.elements.remember;
    if (box && box.checked) {
      saved.setItem(KEY, JSON.stringify({
        name: form.elements.name.value, email: form.elements.email.value, website: form.elements.website.value,
      }));
    } else saved.removeItem(KEY);
  }

  function restore(form) {
    const saved = store();
    const raw = saved && saved.getItem(KEY);
    if (!raw) return;
    try {
      const author = JSON.parse(raw);
      ["name", "email", "website"].forEach((k) => { if (!form.elements[k].value) form.elements[k].value = author[k] || ""; });
      form.elements.remember.checked = true;
    } catch (e) { saved.removeItem(KEY); }
  }

  function moveForm(section, form, comment) {
    const parent = $(form, "[data-sk-parent]");
    const cancel = $(form, "[data-sk-cancel]");
    if (comment) {
      comment.after(form);
      parent.value = comment.id.replace("comment-", "");
      cancel.hidden = false;
    } else {
      section.append(form);
      parent.value = "";
      cancel.hidden = true;
    }
    form.elements.text.focus();
  }

  async function send(section, form) {
    remember(form);
    const data = {};
    new FormData(form).forEach((value, name) => { data[name] = value; });
    data.consent = !!(form.elements.consent && form.elements.consent.checked);
    data.notify = !!(form.elements.notify && form.elements.notify.checked);
    data.parent = data.parent ? Number(data.parent) : null;
    const button = $(form, "[type=submit]");
    button.disabled = true;
    try {
      const response = await fetch(`${section.dataset.skBase}/comments`, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(data),
        credentials: "same-origin",
      });
      const body = await response.json().catch(() => ({}));
      if (!response.ok) {
        showErrors(form, body.error || response.statusText, body.errors || {});
        return;
      }
      clearErrors(form);
      const holder = d.createElement("div");
      holder.innerHTML = body.html;
      const item = holder.firstElementChild;
      const parentId = form.elements.parent.value;
      let list = $(section, "[data-sk-list]");
      if (parentId) {
        const li = d.getElementById(`comment-${parentId}`).closest("li");
        list = $(li, ":scope > [data-sk-replies]");
        if (!list) {
          list = d.createElement("ol");
          list.className = "sk-comments__replies";
          list.dataset.skReplies = "";
          li.append(list);
        }
      }
      list.append(item);
      const empty = $(section, "[data-sk-empty]");
      if (empty) empty.remove();
      form.elements.text.value = "";
      const preview = $(form, "[data-sk-preview]");
      if (preview) preview.hidden = true;
      moveForm(section, form, null);
      const article = $(item, "article");
      article.focus();
      say(section, body.message || form.dataset.skDone || "");
    } catch (e) {
      form.submit();
    } finally {
      button.disabled = false;
    }
  }

  let timer = null;
  async function preview(section, form) {
    let box = $(form, "[data-sk-preview]");
    if (!box) {
      box = d.createElement("div");
      box.className = "sk-form__preview";
      box.dataset.skPreview = "";
      form.elements.text.closest("p").after(box);
    }
    const response = await fetch(`${section.dataset.skBase}/comments/preview`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ text: form.elements.text.value, site: section.dataset.skSite }),
    });
    if (response.ok) {
      box.innerHTML = (await response.json()).html;
      box.hidden = !form.elements.text.value.trim();
    }
  }

  function setup(section) {
    const form = $(section, "[data-sk-comment-form]");
    if (!form || form.dataset.skReady) return;
    form.dataset.skReady = "1";
    restore(form);
    form.addEventListener("submit", (event) => { event.preventDefault(); send(section, form); });
    form.elements.text.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(() => preview(section, form), 500);
    });
    section.addEventListener("click", (event) => {
      const reply = event.target.closest("[data-sk-reply]");
      const cancel = event.target.closest("[data-sk-cancel]");
      if (reply) {
        event.preventDefault();
        moveForm(section, form, d.getElementById(`comment-${reply.dataset.skReply}`));
      } else if (cancel) {
        event.preventDefault();
        moveForm(section, form, null);
      }
    });
  }

  function embed(el) {
    const canonical = $(d, "link[rel=canonical]");
    const q = new URLSearchParams({
      url: el.dataset.url || (canonical && canonical.href) || location.href.split("#")[0],
      title: el.dataset.title || d.title,
      lang: el.dataset.lang || (el.closest("[lang]") || {}).lang || "",
      fragment: "1",
    });
    if (el.dataset.site) q.set("site", el.dataset.site);
    fetch(`${el.dataset.service || service}/threads/${encodeURIComponent(el.dataset.thread)}/comments?${q}`, { credentials: "omit" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => { el.innerHTML = html; el.querySelectorAll("[data-sharekit-comments-section]").forEach(setup); }, () => {});
  }

  function start() {
    d.querySelectorAll("[data-sharekit-comments-section]").forEach(setup);
    d.querySelectorAll("[data-sharekit-comments]").forEach(embed);
  }

  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})();
