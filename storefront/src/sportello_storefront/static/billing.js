// Dati di Fatturazione: show the company fields only for "azienda" (all fields still post).
(function () {
  "use strict";
  var form = document.querySelector("form.billing-form");
  if (!form) return;
  function update() {
    var azienda = form.querySelector("input[name=customer_type][value=azienda]").checked;
    form.querySelectorAll(".company-only").forEach(function (el) {
      var hasError = el.querySelector(".field-error");
      el.hidden = !azienda && !hasError;
    });
  }
  form.addEventListener("change", update);
  update();
})();
