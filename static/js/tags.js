// Fill <datalist data-tag-source> with the tags in use (most used first) the first time a
// tag input gets the focus. Without JavaScript the inputs are plain text fields.
(function () {
  "use strict";
  var list = document.querySelector("datalist[data-tag-source]");
  if (!list) return;
  var loaded = false;
  document.addEventListener("focusin", function (event) {
    if (loaded || !event.target.matches || !event.target.matches('input[list="' + list.id + '"]')) return;
    loaded = true;
    fetch(list.getAttribute("data-tag-source"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : []; })
      .then(function (names) {
        names.forEach(function (name) {
          var option = document.createElement("option");
          option.value = name;
          list.appendChild(option);
        });
      }).catch(function () { loaded = false; });
  });
})();
