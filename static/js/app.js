/* Behaviour every page may use, wired by data attributes: the Content-Security-Policy
   allows no inline event handlers (onclick=…), so pages mark elements instead. */
(function () {
  "use strict";
  /* <button data-print> prints the page. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });
})();
