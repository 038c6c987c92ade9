/* Daily use (issue 17): small progressive enhancements; every page works without them.
   CSP-safe: no eval, no inline handlers.

   form[data-draft]                 asks before leaving the page with typed, unsent text
   [data-error-summary]             gets focus when the page loads
   .flash[role=status]              re-announced after load, so screen readers say it
   form[data-confirm-dialog="ID"]   opens <dialog id=ID> instead of the confirm page
   form[data-rating-form]           one tap on a rating sends it (fetch); Submit still works
   time[data-exact]                 the exact time in the reader's own time zone
   details[data-fold-on-phone]      folded on narrow screens (My tickets' filter)
*/
(function () {
  "use strict";

  /* (a) unsent drafts ---------------------------------------------------------- */
  var dirty = new Set();
  function isTyped(el) {
    if (el.type === "file") return el.files && el.files.length > 0;
    if (el.type === "hidden" || el.type === "radio" || el.type === "checkbox") return false;
    return (el.value || "").trim() !== (el.defaultValue || "").trim();
  }
  document.addEventListener("input", function (event) {
    var form = event.target.form;
    if (!form || !form.hasAttribute("data-draft")) return;
    var typed = Array.prototype.some.call(form.elements, function (el) {
      return (el.tagName === "TEXTAREA" || el.tagName === "INPUT") && isTyped(el);
    });
    if (typed) dirty.add(form); else dirty.delete(form);
  });
  document.addEventListener("submit", function (event) {
    dirty.delete(event.target);
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty.size === 0) return;
    event.preventDefault();
    event.returnValue = "";
  });

  /* (b) focus the error summary ------------------------------------------------- */
  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary && document.activeElement !== summary) summary.focus();
  }

  /* (c) announce the confirmation ---------------------------------------------- */
  function announceFlashes() {
    document.querySelectorAll(".flash[role='status'] .flash-text").forEach(function (text) {
      var words = text.textContent;
      text.textContent = "";
      window.setTimeout(function () { text.textContent = words; }, 50);
    });
    /* the sticky banner stays in view while scrolling: it can be put away */
    document.querySelectorAll(".flashes-sticky .flash").forEach(function (flash) {
      var close = document.createElement("button");
      close.type = "button";
      close.className = "flash-dismiss";
      close.textContent = "Dismiss";
      close.addEventListener("click", function () { flash.remove(); });
      flash.appendChild(close);
    });
  }

  /* (d) a dialog instead of the confirm page ------------------------------------ */
  document.addEventListener("submit", function (event) {
    var opener = event.target;
    if (!opener.hasAttribute || !opener.hasAttribute("data-confirm-dialog")) return;
    var dialog = document.getElementById(opener.getAttribute("data-confirm-dialog"));
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.showModal();
    }
  });
  document.addEventListener("click", function (event) {
    var closer = event.target.closest ? event.target.closest("[data-close-dialog]") : null;
    if (closer) {
      var open = closer.closest("dialog");
      if (open) open.close();
    }
  });

  /* (e) one-tap rating ------------------------------------------------------------ */
  var pendingRating = null;
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "radio") return;
    var form = input.form;
    if (!form || !form.hasAttribute("data-rating-form") || !window.fetch) return;
    var status = form.querySelector("[data-rating-status]");
    var data = new FormData(form);
    var words = document.getElementById(input.id + "-words");
    pendingRating = fetch(form.action.split("#")[0], {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      if (status) {
        status.textContent = "Rating saved: " + input.value + " of 5" +
          (words ? " (" + words.textContent.trim() + ")" : "") +
          ". Thank you! You can add a comment below.";
      }
    }).catch(function () {
      if (status) status.textContent = "Your rating was not saved yet: press the button below.";
    }).then(function () { pendingRating = null; });
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!pendingRating || !form.hasAttribute("data-rating-form")) return;
    event.preventDefault();             /* let the tap's request finish first */
    pendingRating.then(function () { form.submit(); });
  });

  /* (f) times in the reader's zone ------------------------------------------------- */
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localTimes() {
    var zone;
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
    if (!zone || zone === "UTC" || zone === "Etc/UTC") return;
    document.querySelectorAll("time[data-exact]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      var text = when.getFullYear() + "-" + pad(when.getMonth() + 1) + "-" + pad(when.getDate()) +
        " " + pad(when.getHours()) + ":" + pad(when.getMinutes()) + " " + zone;
      el.title = text;
      var hidden = el.querySelector(".sr-only");
      if (hidden) hidden.textContent = " (" + text + ")";
    });
  }

  /* (g) My tickets: the filter folded on a phone unless a filter is active --------- */
  function foldFilters() {
    if (!window.matchMedia) return;
    var phone = window.matchMedia("(max-width: 640px)");
    var folds = document.querySelectorAll("details[data-fold-on-phone]");
    function apply() { folds.forEach(function (d) { d.open = !phone.matches; }); }
    apply();
    if (phone.addEventListener) phone.addEventListener("change", apply);
  }

  function init() {
    foldFilters();
    focusSummary();
    announceFlashes();
    localTimes();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
