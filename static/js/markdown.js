// Message boxes: a Markdown preview in place, and images pasted or dropped into the box
// become attachments of the message, shown inline with ![name](attachment:name).
// Without JavaScript the Preview button re-renders the page and files are chosen by hand.
(function () {
  "use strict";
  if (window.helpdeskMarkdown) return;
  window.helpdeskMarkdown = true;

  function formOf(el) { return el.closest("form"); }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-preview-url]");
    if (!button) return;
    var form = formOf(button);
    var body = form && form.querySelector("textarea[name=body]");
    var box = form && form.querySelector("[data-preview-box]");
    if (!body || !box) return;
    event.preventDefault();
    var data = new FormData();
    data.append("body", body.value);
    var token = form.querySelector("input[name=csrf_token]");
    if (token) data.append("csrf_token", token.value);
    fetch(button.getAttribute("data-preview-url"), {
      method: "POST", body: data, credentials: "same-origin",
      headers: token ? { "X-CSRFToken": token.value } : {}
    }).then(function (response) {
      if (!response.ok) throw new Error(response.status);
      return response.text();
    }).then(function (html) {
      // The server's fragment is rendered and sanitized (services/text/markdown.py).
      box.innerHTML = '<h3 class="small">Preview</h3><div class="message-body">' + html + "</div>";
      box.hidden = false;
    }).catch(function () {
      box.textContent = "The preview is not available right now.";
      box.hidden = false;
    });
  });

  var counter = 0;

  function attachImages(textarea, files) {
    var form = formOf(textarea);
    var input = form && form.querySelector("input[type=file][name=attachments]");
    var images = Array.prototype.filter.call(files || [], function (f) {
      return /^image\/(png|jpeg|gif|webp)$/.test(f.type);
    });
    if (!input || !images.length || typeof DataTransfer === "undefined") return false;
    var transfer = new DataTransfer();
    Array.prototype.forEach.call(input.files, function (f) { transfer.items.add(f); });
    var text = "";
    images.forEach(function (f) {
      counter += 1;
      var ext = f.type.split("/")[1].replace("jpeg", "jpg");
      var name = "pasted-" + Date.now() + "-" + counter + "." + ext;
      transfer.items.add(new File([f], name, { type: f.type }));
      text += "![" + name + "](attachment:" + name + ")\n";
    });
    input.files = transfer.files;
    var start = textarea.selectionStart || 0;
    textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(textarea.selectionEnd || start);
    textarea.selectionStart = textarea.selectionEnd = start + text.length;
    return true;
  }

  document.addEventListener("paste", function (event) {
    var target = event.target;
    if (!target.matches || !target.matches("textarea[name=body]")) return;
    var files = event.clipboardData && event.clipboardData.files;
    if (attachImages(target, files)) event.preventDefault();
  });
  document.addEventListener("dragover", function (event) {
    if (event.target.matches && event.target.matches("textarea[name=body]")) event.preventDefault();
  });
  document.addEventListener("drop", function (event) {
    var target = event.target;
    if (!target.matches || !target.matches("textarea[name=body]")) return;
    if (attachImages(target, event.dataTransfer && event.dataTransfer.files)) event.preventDefault();
  });
})();
