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
    syncMinutes();
  }

  /* With a start and an end the minutes are theirs: Minutes is disabled (so it is not
     sent) and shows the minutes the times make; the server derives the same. */
  function syncMinutes() {
    var start = form.elements.namedItem("start_time");
    var end = form.elements.namedItem("end_time");
    var minutes = form.elements.namedItem("minutes");
    if (!start || !end || !minutes) return;
    var both = start.value !== "" && end.value !== "";
    minutes.disabled = both;
    if (!both) {
      minutes.placeholder = "";
      return;
    }
    minutes.value = "";
    var span = toMinutes(end.value) - toMinutes(start.value);
    minutes.placeholder = span > 0 ? span + " (from the times)" : "";
  }

  function toMinutes(text) {
    var parts = text.split(":");
    return parseInt(parts[0], 10) * 60 + parseInt(parts[1], 10);
  }

  form.addEventListener("change", sync);
  form.addEventListener("input", syncMinutes);
  document.body.addEventListener("htmx:afterSettle", sync);
  sync();
})();
