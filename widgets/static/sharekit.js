/* sharekit: enhances server-rendered share bars. Everything works without this file:
   each button is a real link to the service's consent page. With it, the first click
   arms a button and says what would be sent where; the second click shares. */
(() => {
  "use strict";
  const d = document;
  const BAR = "[data-sharekit-bar]";
  const me = d.currentScript;
  const service = me ? me.src.replace(/\/static\/[^/]*$/, "") : "";
  const store = (kind) => { try { return window[kind]; } catch (e) { return null; } };
  let armed = null;
  let ids = 0;

  const $ = (root, selector) => root.querySelector(selector);
  const say = (bar, text) => { $(bar, ".sk-share__status").textContent = text; };
  const panels = (bar) => bar.querySelectorAll("[data-sk-fediverse], .sk-share__remember");

  function disarm() {
    if (!armed) return;
    armed.button.classList.remove("sk-armed");
    armed.button.removeAttribute("aria-describedby");
    panels(armed.bar).forEach((el) => { el.hidden = true; });
    say(armed.bar, "");
    armed = null;
  }

  function arm(bar, button) {
    disarm();
    armed = { bar, button };
    button.classList.add("sk-armed");
    const status = $(bar, ".sk-share__status");
    if (!status.id) status.id = `sk-status-${++ids}`;
    button.setAttribute("aria-describedby", status.id);
    say(bar, button.dataset.skNotice);
    const form = $(bar, `[data-sk-fediverse="${button.dataset.skNetwork}"]`);
    if (form) {
      form.hidden = false;
      const saved = store("localStorage");
      const server = $(form, "[data-sk-server]");
      if (saved && saved.getItem("sharekit:server")) {
        server.value = saved.getItem("sharekit:server");
        $(form, "[data-sk-software]").value = saved.getItem("sharekit:software") || "mastodon";
      }
      server.focus();
    } else {
      const remember = $(bar, ".sk-share__remember");
      if (remember) remember.hidden = false;
    }
  }

  function counted(bar, network) {
    if (!bar.hasAttribute("data-sk-counts") || !navigator.sendBeacon) return;
    const body = new URLSearchParams({ url: bar.dataset.skUrl, site: bar.dataset.skSite, network });
    navigator.sendBeacon(`${bar.dataset.skBase}/api/share`, body);
  }

  function share(bar, button) {
    const key = button.dataset.skNetwork;
    const box = $(bar, "[data-sk-remember-box]");
    const tab = store("sessionStorage");
    if (box && box.checked && tab) tab.setItem(`sharekit:skip:${key}`, "1");
    window.open(button.dataset.skShare, "_blank", "noopener,noreferrer");
    counted(bar, key);
    disarm();
  }

  function skipping(bar, key) {
    const tab = store("sessionStorage");
    return bar.hasAttribute("data-sk-remember") && tab && tab.getItem(`sharekit:skip:${key}`);
  }

  d.addEventListener("click", (event) => {
    const button = event.target.closest("[data-sk-action]");
    const bar = button && button.closest(BAR);
    if (!bar) {
      if (armed && !armed.bar.contains(event.target)) disarm();
      return;
    }
    const action = button.dataset.skAction;
    if (action === "mailto" || action === "sms" || action === "info") return;
    event.preventDefault();
    if (action === "copy") {
      const done = () => say(bar, button.dataset.skDone);
      const url = bar.dataset.skUrl;
      if (navigator.clipboard) navigator.clipboard.writeText(url).then(done, () => { location.href = button.href; });
      else location.href = button.href;
    } else if (action === "native") {
      navigator.share({ url: bar.dataset.skUrl, title: d.title }).catch(() => {});
    } else if (action === "print") {
      window.print();
    } else if (action === "open" && (armed && armed.button === button || skipping(bar, button.dataset.skNetwork))) {
      share(bar, button);
    } else if (!(armed && armed.button === button)) {
      arm(bar, button);
    }
  });

  d.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && armed) {
      const button = armed.button;
      disarm();
      button.focus();
    } else if (event.key === " " && event.target.matches(`${BAR} [data-sk-action]`)) {
      event.preventDefault();
      event.target.click();
    }
  });

  d.addEventListener("focusout", (event) => {
    if (armed && armed.bar.contains(event.target) && !armed.bar.contains(event.relatedTarget)) {
      disarm();
    }
  });

  d.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-sk-fediverse]");
    if (!form) return;
    event.preventDefault();
    const input = $(form, "[data-sk-server]");
    const select = $(form, "[data-sk-software]");
    let host = "";
    try {
      const url = new URL(`https://${input.value.trim().replace(/^https?:\/\//i, "")}`);
      const bare = !url.port && !url.username && !url.search && !url.hash && url.pathname === "/";
      if (bare && /^([a-z0-9-]+\.)+[a-z][a-z0-9-]+$/.test(url.hostname)) host = url.hostname;
    } catch (e) { /* not a host name */ }
    input.setAttribute("aria-invalid", host ? "false" : "true");
    if (!host) {
      say(form.closest(BAR), form.dataset.skError);
      input.focus();
      return;
    }
    const saved = store("localStorage");
    if ($(form, "[data-sk-remember-server]").checked && saved) {
      saved.setItem("sharekit:server", host);
      saved.setItem("sharekit:software", select.value);
    }
    const template = select.selectedOptions[0].dataset.skTemplate;
    const bar = form.closest(BAR);
    window.open(template.replace("{server}", host), "_blank", "noopener,noreferrer");
    counted(bar, form.dataset.skFediverse);
    disarm();
  });

  function setup(root) {
    root.querySelectorAll(BAR).forEach((bar) => {
      if (navigator.share) bar.querySelectorAll("[data-sk-action=native]").forEach((b) => { b.parentNode.hidden = false; });
      if (!bar.hasAttribute("data-sk-counts")) return;
      fetch(`${bar.dataset.skBase}/api/counts?url=${encodeURIComponent(bar.dataset.skUrl)}`, { credentials: "omit" })
        .then((r) => (r.ok ? r.json() : {}))
        .then((counts) => bar.querySelectorAll("[data-sk-count]").forEach((el) => {
          const n = counts[el.parentNode.dataset.skNetwork];
          if (n) { el.textContent = n; el.hidden = false; }
        }), () => {});
    });
  }

  function embed(el) {
    const meta = (s) => { const m = $(d, s); return m && (m.href || m.content); };
    const q = new URLSearchParams({
      url: el.dataset.url || meta("link[rel=canonical]") || meta("meta[property='og:url']") || location.href.split("#")[0],
      title: el.dataset.title || meta("meta[property='og:title']") || d.title,
      lang: el.dataset.lang || (el.closest("[lang]") || {}).lang || "",
    });
    ["networks", "theme", "orientation", "style", "size", "text", "media", "counts"].forEach((k) => {
      if (el.dataset[k]) q.set(k, el.dataset[k]);
    });
    fetch(`${el.dataset.service || service}/share-bar?${q}`, { credentials: "omit" })
      .then((r) => (r.ok ? r.text() : Promise.reject(r.status)))
      .then((html) => { el.innerHTML = html; setup(el); }, () => {});
  }

  function start() {
    setup(d);
    d.querySelectorAll("[data-sharekit-share]").forEach(embed);
  }

  if (d.readyState === "loading") d.addEventListener("DOMContentLoaded", start);
  else start();
})();
