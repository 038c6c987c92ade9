/* Keyboard shortcuts for the queue and the ticket workspace (agents). Progressive: every
   action has its button or link; this file only adds keys. Never while typing in a field,
   never with Ctrl/Alt/Cmd. Each move is announced in #shortcut-status (aria-live).

   j / k        next / previous row in the queue; next / previous ticket of the last
                queue list seen (kept in sessionStorage) on a ticket page
   o, Enter     open the selected row
   r / n        reply / internal note: focus the message box with the right choice
   t            take (the selected row's ticket in the queue, or this ticket)
   /            search (the queue's Search field; from a ticket, the queue's)
   ?            the list of shortcuts (a dialog; Esc closes it)
*/
(function () {
  "use strict";
  var KEY = "helpdesk.queue.tickets";
  var status = document.getElementById("shortcut-status");
  var dialog = document.getElementById("shortcuts-dialog");
  var selected = -1;

  function announce(text) {
    if (!status) return;
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function typing(el) {
    if (!el || el === document.body) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function ticketLink(row) {
    return row.querySelector('a[href*="/agent/tickets/"]');
  }

  function queueRows() {
    return Array.prototype.filter.call(document.querySelectorAll("table tbody tr"), ticketLink);
  }

  function rememberQueue() {
    var rows = queueRows();
    if (!rows.length || !window.sessionStorage) return;
    try {
      sessionStorage.setItem(KEY, JSON.stringify(rows.map(function (row) {
        return ticketLink(row).getAttribute("href");
      })));
    } catch (e) { /* private mode: j/k on a ticket page just say so */ }
  }

  function select(rows, index) {
    if (!rows.length) return;
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (selected >= 0 && rows[selected]) rows[selected].classList.remove("is-selected");
    selected = index;
    var row = rows[index];
    row.classList.add("is-selected");
    var link = ticketLink(row);
    link.focus();
    announce((link.textContent || "").replace(/\s+/g, " ").trim() + ", row " + (index + 1) +
             " of " + rows.length);
  }

  function stepTicket(delta) {
    var list = [];
    try { list = JSON.parse(sessionStorage.getItem(KEY) || "[]"); } catch (e) { list = []; }
    var here = list.indexOf(window.location.pathname);
    var next = here === -1 ? -1 : here + delta;
    if (next < 0 || next >= list.length) {
      announce(delta > 0 ? "No next ticket in the queue list." : "No previous ticket in the queue list.");
      return;
    }
    window.location.assign(list[next]);
  }

  function compose(internal) {
    var body = document.querySelector('textarea[name="body"]');
    if (!body) return;
    var form = body.form || document;
    var boxes = form.querySelectorAll('input[name="internal"]');
    if (boxes.length === 1 && boxes[0].type === "checkbox" && !boxes[0].disabled) {
      boxes[0].checked = internal;
    } else if (boxes.length > 1) {            /* radios: Reply, Internal note */
      var pick = boxes[internal ? 1 : 0];
      if (pick && !pick.disabled) pick.checked = true;
    }
    body.focus();
    body.scrollIntoView({ block: "center" });
    announce(internal ? "Writing an internal note." : "Writing a reply.");
  }

  function take(rows) {
    var scope = document;
    if (rows.length && selected >= 0) scope = rows[selected];
    var forms = scope.querySelectorAll('form[action*="/take"]');
    if (!forms.length) { announce("Nothing to take here."); return; }
    announce("Taking the ticket.");
    if (forms[0].requestSubmit) forms[0].requestSubmit(); else forms[0].submit();
  }

  function search() {
    var field = document.querySelector('input[name="q"]');
    if (field) {
      field.focus();
      field.select();
      announce("Search.");
      return;
    }
    var queue = document.querySelector('a[href$="/agent/queue"]');
    if (queue) window.location.assign(queue.getAttribute("href") + "#search");
  }

  function showHelp() {
    if (!dialog) return;
    if (typeof dialog.showModal === "function") {
      if (!dialog.open) dialog.showModal();
    } else {
      dialog.setAttribute("open", "");
    }
    var close = dialog.querySelector("button");
    if (close) close.focus();
    announce("Keyboard shortcuts, dialog.");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    if (dialog && dialog.open) return;          /* the dialog handles its own keys (Esc) */
    var rows = queueRows();
    var onQueue = rows.length > 0;
    var handled = true;
    switch (event.key) {
      case "j": if (onQueue) select(rows, selected + 1); else stepTicket(1); break;
      case "k": if (onQueue) select(rows, selected < 0 ? 0 : selected - 1); else stepTicket(-1); break;
      case "o":
      case "Enter":
        if (onQueue && selected >= 0 && !(event.target.closest && event.target.closest("a, button"))) {
          window.location.assign(ticketLink(rows[selected]).getAttribute("href"));
        } else if (event.key === "o" && onQueue && selected >= 0) {
          window.location.assign(ticketLink(rows[selected]).getAttribute("href"));
        } else {
          handled = false;
        }
        break;
      case "r": compose(false); break;
      case "n": compose(true); break;
      case "t": take(rows); break;
      case "/": search(); break;
      case "?": showHelp(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  rememberQueue();
  if (window.location.hash === "#search") {
    var field = document.querySelector('input[name="q"]');
    if (field) field.focus();
  }
})();
