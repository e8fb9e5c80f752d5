// OMS: small progressive enhancements. Every page works without this file and without htmx.
// Hooks are documented in docs/ui.md. No inline handlers, no eval: it runs under a strict CSP.
(() => {
  "use strict";
  document.documentElement.classList.add("js");

  const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));
  const dialog = () => document.getElementById("dialog");

  // (a) CSRF for htmx requests: Flask-WTF reads the X-CSRFToken header.
  document.addEventListener("htmx:configRequest", (event) => {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) event.detail.headers["X-CSRFToken"] = meta.content;
  });

  // Validation errors come back as 422 with the re-rendered form: swap them like a 200.
  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.xhr && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // (b) Failed htmx requests: show the server's message, or the page's translated fallback.
  function showError(text) {
    const flash = document.getElementById("flash");
    if (!flash) return;
    $$("[data-js-flash]", flash).forEach((old) => old.remove());
    const p = document.createElement("p");
    p.className = "flash flash-error";
    p.setAttribute("role", "alert");
    p.dataset.jsFlash = "";
    p.textContent = text;
    flash.append(p);
  }

  function serverMessage(xhr) {
    const type = (xhr && xhr.getResponseHeader("Content-Type")) || "";
    if (!type.includes("text/html") || !xhr.responseText) return "";
    // DOMParser builds an inert document: no scripts run, nothing is fetched.
    const doc = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const p = doc.querySelector(".error-page p");
    return p ? p.textContent.trim() : "";
  }

  document.addEventListener("htmx:responseError", (event) => {
    const flash = document.getElementById("flash");
    const fallback = (flash && flash.dataset.errorGeneric) || `HTTP ${event.detail.xhr.status}`;
    showError(serverMessage(event.detail.xhr) || fallback);
  });

  function networkError() {
    const data = (document.getElementById("flash") || {}).dataset || {};
    showError(data.errorNetwork || data.errorGeneric || "Network error");
  }
  document.addEventListener("htmx:sendError", networkError);
  document.addEventListener("htmx:timeout", networkError);

  document.addEventListener("htmx:beforeRequest", () => {
    $$("#flash [data-js-flash]").forEach((old) => old.remove());
  });

  // (c) Dialogs: content that htmx swaps into <dialog id="dialog"> opens it as a modal.
  document.addEventListener("htmx:afterSwap", (event) => {
    const box = dialog();
    if (!box || event.detail.target !== box) return;
    if (!box.children.length && !box.textContent.trim()) {
      if (box.open) box.close(); // an empty answer means "done": close
    } else if (!box.open) {
      box.showModal();
    }
  });

  // A dialog holding a form[data-warn-unsaved] with edits asks before it closes.
  function mayClose(box) {
    if (!box.querySelector("form[data-warn-unsaved][data-dirty]")) return true;
    return window.confirm(box.dataset.confirmDiscard || "Discard your changes?");
  }

  document.addEventListener("click", (event) => {
    const box = dialog();
    if (!box || !box.open) return;
    if (event.target.closest("[data-dialog-close]")) {
      event.preventDefault();
      if (mayClose(box)) box.close();
    } else if (event.target === box) {
      // A click on the backdrop reaches the <dialog> itself, outside its box.
      const r = box.getBoundingClientRect();
      const inside = event.clientX >= r.left && event.clientX <= r.right
        && event.clientY >= r.top && event.clientY <= r.bottom;
      if (!inside && mayClose(box)) box.close();
    }
  });
  document.addEventListener("cancel", (event) => {
    if (event.target === dialog() && !mayClose(event.target)) event.preventDefault();
  }, true);

  // Escape closes natively (the "cancel" event). On close, drop the content so the next
  // dialog never shows stale data. The server can also close it with HX-Trigger: dialog-close.
  document.addEventListener("close", (event) => {
    if (event.target === dialog()) event.target.replaceChildren();
  }, true);
  document.addEventListener("dialog-close", () => {
    const box = dialog();
    if (box && box.open) box.close();
  });

  // (d) Unsaved changes: warn before leaving a dirty form[data-warn-unsaved].
  document.addEventListener("input", (event) => {
    const form = event.target.form || event.target.closest("form");
    if (form && form.matches("[data-warn-unsaved]")) form.dataset.dirty = "true";
  });
  document.addEventListener("submit", (event) => {
    delete event.target.dataset.dirty;
  }, true);
  document.addEventListener("reset", (event) => {
    delete event.target.dataset.dirty;
  }, true);
  window.addEventListener("beforeunload", (event) => {
    if (document.querySelector("form[data-warn-unsaved][data-dirty]")) {
      event.preventDefault();
      event.returnValue = ""; // older browsers need a value to show the prompt
    }
  });

  // (e) "Select all on this page": input[type=checkbox][data-select-all="<name>"].
  function boxesFor(master) {
    const scope = master.form ? Array.from(master.form.elements) : $$("input");
    return scope.filter((el) => el.type === "checkbox" && el.name === master.dataset.selectAll
      && el !== master && !el.disabled);
  }

  function syncMaster(master) {
    const boxes = boxesFor(master);
    const checked = boxes.filter((el) => el.checked).length;
    master.checked = boxes.length > 0 && checked === boxes.length;
    master.indeterminate = checked > 0 && checked < boxes.length;
  }

  document.addEventListener("change", (event) => {
    const el = event.target;
    if (el.matches("input[type=checkbox][data-select-all]")) {
      boxesFor(el).forEach((box) => { box.checked = el.checked; });
    } else if (el.type === "checkbox" && el.name) {
      $$("input[type=checkbox][data-select-all]")
        .filter((master) => master.dataset.selectAll === el.name)
        .forEach(syncMaster);
    }

    // (f) data-autosubmit: submit the form on change (requestSubmit fires "submit", which
    // htmx picks up for hx-get/hx-post forms; without htmx the browser submits normally).
    const auto = el.closest("[data-autosubmit]");
    const form = el.form || (auto && auto.closest("form"));
    if (auto && form) {
      if (typeof form.requestSubmit === "function") form.requestSubmit();
      else form.submit();
    }
  });

  function syncAllMasters() {
    $$("input[type=checkbox][data-select-all]").forEach(syncMaster);
  }
  document.addEventListener("htmx:afterSettle", syncAllMasters);
  document.addEventListener("DOMContentLoaded", syncAllMasters);
  if (document.readyState !== "loading") syncAllMasters();
})();
