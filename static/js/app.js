/* Behaviour every page may use, wired by data attributes: the Content-Security-Policy
   allows no inline event handlers (onclick=…), so pages mark elements instead. */
(function () {
  "use strict";
  /* <button data-print> prints the page. */
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-print]");
    if (button) window.print();
  });

  /* A table too wide for the screen scrolls inside its .table-responsive box; keyboard
     users must be able to reach that box to scroll it (WCAG 2.1.1), so a box that
     overflows becomes a focusable, named region. */
  function nameOf(box) {
    var caption = box.querySelector("caption");
    if (caption && caption.textContent.trim()) return caption.textContent.trim();
    var section = box.closest("section, [aria-labelledby]");
    var heading = section && section.querySelector("h1, h2, h3, h4");
    if (heading && heading.textContent.trim()) return heading.textContent.trim();
    heading = document.querySelector("main h1");
    return heading ? heading.textContent.trim() : "Table";
  }
  function markScrollingTables() {
    var used = {};
    document.querySelectorAll("[data-scroll-region]").forEach(function (box) {
      used[box.getAttribute("aria-label")] = true;
    });
    document.querySelectorAll(".table-responsive").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls && !box.hasAttribute("tabindex")) {
        /* Region names must differ (two tables under one heading get "…, table 2"). */
        var name = nameOf(box), label = name + " (scrolls sideways)", n = 1;
        while (used[label]) label = name + ", table " + ++n + " (scrolls sideways)";
        used[label] = true;
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", label);
        box.dataset.scrollRegion = "";
      } else if (!scrolls && box.hasAttribute("data-scroll-region")) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scrollRegion;
      }
    });
  }

  /* After a submit that failed, move focus to what says why (WCAG 3.3.1): the page's
     error summary, else the first field marked invalid. The server renders the same
     classes on every form (crispy's is-invalid, our error alerts); base.html marks
     error messages data-error-summary. */
  function focusErrors() {
    var main = document.getElementById("main");
    if (!main) return;
    var invalid = main.querySelector(".is-invalid, .invalid-feedback.d-block, .errorlist");
    var summary = main.querySelector("[data-error-summary]") || (invalid && main.querySelector(".alert-danger"));
    var target = summary || invalid;
    if (!target) return;
    if (target === summary && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
    target.focus();
  }

  function ready() {
    markScrollingTables();
    focusErrors();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
  var pending = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(pending);
    pending = window.setTimeout(markScrollingTables, 150);
  });
  /* htmx swaps in new tables (the session form's lines, the client page's sections). */
  document.addEventListener("htmx:afterSettle", markScrollingTables);
})();
