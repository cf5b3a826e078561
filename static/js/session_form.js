/* Session form: show only the fields that apply to the session being logged.
   The proposed lines themselves come from the server (htmx, see session_form.html). */
(function () {
  "use strict";
  var form = document.getElementById("session-form");
  if (!form) return;

  function sync() {
    var service = form.elements.namedItem("service");
    var serviceValue = service ? service.value : "";
    var tele = form.querySelector('input[name="telehealth"]:checked');
    var override = form.elements.namedItem("override_lines");
    form.querySelectorAll("[data-show-for-service]").forEach(function (el) {
      var wanted = el.getAttribute("data-show-for-service").split(" ");
      el.hidden = wanted.indexOf(serviceValue) === -1 && !el.querySelector(".is-invalid");
    });
    form.querySelectorAll("[data-show-for-telehealth]").forEach(function (el) {
      el.hidden = !(tele && tele.value);
    });
    var lines = document.getElementById("line-overrides");
    if (lines && override) lines.hidden = !override.checked;
  }

  form.addEventListener("change", sync);
  document.body.addEventListener("htmx:afterSettle", sync);
  sync();
})();
