// Bulk update pages: drop a CSV file onto the upload field (the file input works without it).
(() => {
  "use strict";

  function enhance(zone) {
    if (zone.dataset.dropReady) return;
    const input = zone.querySelector('input[type="file"]');
    if (!input) return;
    zone.dataset.dropReady = "1";
    const hint = zone.querySelector("[data-drop-hint]");
    if (hint) hint.hidden = false;
    const over = (on) => (event) => {
      event.preventDefault();
      zone.classList.toggle("drag-over", on);
    };
    zone.addEventListener("dragenter", over(true));
    zone.addEventListener("dragover", over(true));
    zone.addEventListener("dragleave", over(false));
    zone.addEventListener("drop", (event) => {
      over(false)(event);
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }

  const scan = (root) => root.querySelectorAll("[data-drop-zone]").forEach(enhance);
  document.addEventListener("DOMContentLoaded", () => scan(document));
  document.addEventListener("htmx:load", (event) => scan(event.target));
})();
