/* The queue's bulk bar (templates/agent/queue.html), progressive: without this file the
   bar is still there and the server applies what was chosen (asking first, on a page of
   its own, before anything that cannot be undone).

   - "N selected" follows the ticked rows (announced politely).
   - Before applying, a confirmation names the action and the number of tickets; once
     confirmed, the form says so (confirmed=1) and the server does not ask again. */
(function () {
  "use strict";

  function boxes(form) {
    return Array.prototype.slice.call(form.querySelectorAll('input[type="checkbox"][name="ticket_ids"]'));
  }

  function ticked(form) {
    return boxes(form).filter(function (b) { return b.checked; }).length;
  }

  function update(form) {
    var out = form.querySelector("[data-bulk-count]");
    if (!out) return;
    var n = ticked(form);
    out.textContent = n + " selected";
  }

  function actionLabel(select) {
    var option = select && select.options[select.selectedIndex];
    if (!option || !option.value) return "";
    var group = option.parentNode && option.parentNode.label ? option.parentNode.label + ": " : "";
    return group + option.text;
  }

  function setup(form) {
    update(form);
    /* after app.js's "select all" (a document listener, so it runs after this one) */
    form.addEventListener("change", function () {
      window.setTimeout(function () { update(form); }, 0);
    });
    form.addEventListener("submit", function (event) {
      var select = form.querySelector('select[name="bulk_action"]');
      var n = ticked(form);
      var label = actionLabel(select);
      if (!n || !label) return;            /* the server explains what is missing */
      var question = label + " — " + n + " ticket" + (n === 1 ? "" : "s") + "?";
      if (!window.confirm(question)) {
        event.preventDefault();
        return;
      }
      var confirmed = form.querySelector('input[name="confirmed"]');
      if (confirmed) confirmed.value = "1";
    });
  }

  function init() {
    document.querySelectorAll("form[data-bulk-form]").forEach(setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
