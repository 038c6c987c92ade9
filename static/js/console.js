/* The console's tabs scroll sideways on a phone: bring the current one into view. */
(function () {
  "use strict";
  function init() {
    var nav = document.querySelector(".subnav");
    var here = nav && nav.querySelector('a[aria-current="page"]');
    if (!here || nav.scrollWidth <= nav.clientWidth) return;
    nav.scrollLeft = Math.max(0, here.offsetLeft - (nav.clientWidth - here.offsetWidth) / 2);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
