// Live totals on a quote's pricing form: the typed prices go to the back office's
// /preventivi/{id}/totali, which taxes them by the shared rule for this customer (VAT by rate,
// bollo, reverse charge) and answers with the totals block; without JavaScript the page shows
// the totals of the prices it was rendered with.
(function () {
  "use strict";
  var box = document.getElementById("totali-live");
  var form = box && box.closest("form");
  if (!box || !form || !window.fetch || !box.dataset.totalsUrl) return;
  var url = box.dataset.totalsUrl, asked = 0, timer = null;

  function ask() {
    var params = new URLSearchParams();
    form.querySelectorAll("input[name^='prezzo-']").forEach(function (i) {
      params.append(i.name, i.value);
    });
    var mine = ++asked;
    fetch(url + "?" + params.toString(), {
      headers: { Accept: "application/json" }, credentials: "same-origin"
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      // The block is rendered and escaped by the server's template: no script runs from it.
      .then(function (answer) { if (answer && mine === asked) box.innerHTML = answer.html; })
      .catch(function () {});
  }
  form.addEventListener("input", function (e) {
    if (!e.target.name || e.target.name.indexOf("prezzo-") !== 0) return;
    clearTimeout(timer);
    timer = setTimeout(ask, 200);
  });
})();
