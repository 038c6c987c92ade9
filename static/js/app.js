/* Helpdesk: small progressive enhancements. Every page works without this file.
   CSP-safe: no eval, no inline handlers, no inline styles.

   data-confirm="Question?"     on a <form> (or its submit button): ask before submitting
   data-select-all              on a checkbox: toggles the checkboxes named "ticket_ids"
                                of the same form (or of the page when it has no form)
   data-suggest-url="/faq/suggest" data-suggest-target="ID"
                                on an input: GET url?q=value (300 ms debounce, >= 3 chars),
                                the HTML answer goes into #ID
   data-canned-target="ID"      on a <select> whose <option>s carry data-body: inserts the
                                body into the textarea #ID
*/
(function () {
  "use strict";

  /* (a) confirm before submitting ------------------------------------------------ */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var submitter = event.submitter;
    var question = null;
    if (submitter && submitter.hasAttribute("data-confirm")) {
      question = submitter.getAttribute("data-confirm");
    } else if (form.hasAttribute("data-confirm")) {
      question = form.getAttribute("data-confirm");
    }
    if (question === null) return;
    if (!window.confirm(question || "Are you sure?")) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* (b) select all ticket checkboxes ----------------------------------------------- */
  function ticketBoxes(master) {
    var all = document.querySelectorAll('input[type="checkbox"][name="ticket_ids"]');
    return Array.prototype.filter.call(all, function (box) {
      return box !== master && (!master.form || box.form === master.form);
    });
  }

  function syncMaster(master) {
    var boxes = ticketBoxes(master);
    var checked = boxes.filter(function (b) { return b.checked; }).length;
    master.checked = boxes.length > 0 && checked === boxes.length;
    master.indeterminate = checked > 0 && checked < boxes.length;
  }

  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!(el instanceof HTMLInputElement) || el.type !== "checkbox") return;
    if (el.hasAttribute("data-select-all")) {
      ticketBoxes(el).forEach(function (box) {
        if (!box.disabled) box.checked = el.checked;
      });
      el.indeterminate = false;
    } else if (el.name === "ticket_ids") {
      document.querySelectorAll("input[data-select-all]").forEach(syncMaster);
    }
  });

  /* (c) FAQ suggestions while typing ------------------------------------------------ */
  function setupSuggest(input) {
    var url = input.getAttribute("data-suggest-url");
    var target = document.getElementById(input.getAttribute("data-suggest-target") || "");
    if (!url || !target) return;
    if (!target.hasAttribute("aria-live")) target.setAttribute("aria-live", "polite");
    var timer = null;
    var controller = null;
    var lastQuery = null;

    function run() {
      var q = input.value.trim();
      if (q === lastQuery) return;
      lastQuery = q;
      if (controller) controller.abort();
      if (q.length < 3) {
        controller = null;
        target.innerHTML = "";
        return;
      }
      controller = "AbortController" in window ? new AbortController() : null;
      var full = url + (url.indexOf("?") === -1 ? "?" : "&") + "q=" + encodeURIComponent(q);
      fetch(full, {
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "Accept": "text/html" },
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      }).then(function (html) {
        if (input.value.trim() === q) target.innerHTML = html;
      }).catch(function () { /* suggestions are optional: stay quiet */ });
    }

    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(run, 300);
    });
    if (input.value.trim().length >= 3) run();
  }

  /* (d) canned replies ---------------------------------------------------------------- */
  function insertAtCursor(textarea, text) {
    var value = textarea.value;
    var start = typeof textarea.selectionStart === "number" ? textarea.selectionStart : value.length;
    var end = typeof textarea.selectionEnd === "number" ? textarea.selectionEnd : value.length;
    if (document.activeElement !== textarea && start === 0 && end === 0) {
      start = end = value.length;     /* never focused: append */
    }
    var before = value.slice(0, start);
    var after = value.slice(end);
    if (before && !/\n\s*$/.test(before)) text = "\n\n" + text;   /* start a new paragraph */
    textarea.value = before + text + after;
    var caret = before.length + text.length;
    textarea.focus();
    try { textarea.setSelectionRange(caret, caret); } catch (e) { /* not a text control */ }
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.hasAttribute("data-canned-target")) return;
    var option = select.options[select.selectedIndex];
    var body = option ? option.getAttribute("data-body") : null;
    var textarea = document.getElementById(select.getAttribute("data-canned-target"));
    if (!body || !textarea) return;
    insertAtCursor(textarea, body);
    select.selectedIndex = 0;          /* ready to pick again */
  });

  function init() {
    document.querySelectorAll("input[data-suggest-url], textarea[data-suggest-url]").forEach(setupSuggest);
    document.querySelectorAll("input[data-select-all]").forEach(syncMaster);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
