/* Client page: add formset rows, ICD-10-CM suggestions, subscriber fields on demand.
   No build step; the page works without it (one blank row each, all fields shown). */
(function () {
  "use strict";
  var form = document.querySelector("form.client-form");
  if (!form) return;

  /* Add a row from the formset's <template>, numbered by TOTAL_FORMS. */
  function addRow(prefix) {
    var total = form.querySelector("#id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty");
    var index = parseInt(total.value, 10);
    var holder = document.createElement("div");
    holder.innerHTML = template.innerHTML.replace(/__prefix__/g, String(index));
    var row = holder.firstElementChild;
    document.getElementById(prefix + "-forms").appendChild(row);
    total.value = String(index + 1);
    var rank = row.querySelector(".js-rank");
    if (rank) rank.value = String(document.querySelectorAll("#" + prefix + "-forms .js-formset-row").length);
    setUpCoverage(row);
    var first = row.querySelector("input:not([type=hidden]), select");
    if (first) first.focus();
  }
  form.querySelectorAll("[data-formset-add]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { addRow(button.dataset.formsetAdd); });
  });

  /* Subscriber fields only when the client is not the subscriber (relationship 18 = self),
     unless they hold an error to fix. */
  function setUpCoverage(row) {
    var select = row.querySelector(".js-relationship");
    var subscriber = row.querySelector(".js-subscriber");
    if (!select || !subscriber) return;
    var sync = function () {
      subscriber.hidden = select.value === "18" && !subscriber.querySelector(".is-invalid");
    };
    select.addEventListener("change", sync);
    sync();
  }
  form.querySelectorAll(".js-coverage").forEach(setUpCoverage);

  /* ICD-10-CM suggestions: the search endpoint feeds one shared <datalist>. */
  var searchUrl = form.dataset.diagnosisSearchUrl;
  var datalist = document.getElementById("icd10-options");
  var known = {};
  var timer = null;
  var latest = 0;

  function describe(input) {
    var row = input.closest(".js-formset-row");
    var slot = row && row.querySelector(".js-icd10-description");
    var code = input.value.trim().toUpperCase();
    if (slot && known[code]) slot.textContent = known[code];
  }

  function suggest(input) {
    var term = input.value.trim();
    if (term.length < 2) return;
    var ticket = ++latest;
    fetch(searchUrl + "?q=" + encodeURIComponent(term), {
      credentials: "same-origin",
      headers: { "X-Requested-With": "XMLHttpRequest", Accept: "application/json" },
    })
      .then(function (response) {
        // Logged out meanwhile: the middleware redirects to the login page (HTML).
        if (!response.ok || response.redirected) return { results: [] };
        return response.json();
      })
      .then(function (data) {
        if (ticket !== latest) return; // an older answer arriving late
        datalist.replaceChildren();
        data.results.forEach(function (item) {
          known[item.code] = item.description;
          var option = document.createElement("option");
          option.value = item.code;
          option.label = item.code + " " + item.description;
          option.textContent = item.description;
          datalist.appendChild(option);
        });
        describe(input);
      })
      .catch(function () { /* suggestions are a convenience; the server checks the code */ });
  }

  form.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.classList || !input.classList.contains("js-icd10")) return;
    describe(input);
    clearTimeout(timer);
    timer = setTimeout(function () { suggest(input); }, 200);
  });
})();
