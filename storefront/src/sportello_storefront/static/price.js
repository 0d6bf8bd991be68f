// Live price on the service form: an instant preview by the same rules as the API
// (sportello.contracts.forms: base + options + number x unit price, then + percents, half-up),
// then the storefront's /prezzo route, which prices the answers with that very function and
// says what makes the price (the breakdown the cart shows): its answer replaces the preview.
(function () {
  "use strict";
  var form = document.querySelector("form.service-form");
  var out = document.getElementById("prezzo-live");
  if (!form || !out || form.dataset.priced !== "yes") return;
  var gross = document.getElementById("prezzo-live-lordo");
  var base = parseInt(form.dataset.baseCents || "0", 10);
  var vatBp = parseInt(form.dataset.vatBp || "0", 10);
  // An exempt service (art. 10 DPR 633/72) has no VAT to add: no "+ IVA", no gross figure.
  var suffix = form.dataset.vatSuffix || "+ IVA", exempt = suffix !== "+ IVA";
  if (exempt) gross = null;
  function euro(cents) {
    // Exactly as the server's Babel it_IT format: 1.080,00 € (a dot for every thousand).
    var sign = cents < 0 ? "-" : "", c = Math.abs(cents);
    var whole = Math.floor(c / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return sign + whole + "," + String(c % 100).padStart(2, "0") + "\u00a0€";
  }

  function halfUp(amount, bp) {
    // Integer maths, as the API: amount * bp / 10000 rounded half away from zero.
    var p = amount * bp, sign = p < 0 ? -1 : 1, a = Math.abs(p);
    var q = Math.floor(a / 10000), r = a % 10000;
    return sign * (q + (r * 2 >= 10000 ? 1 : 0));
  }
  function num(el, attr) { return parseInt(el.getAttribute(attr) || "0", 10) || 0; }

  function compute() {
    var subtotal = base, percent = 0;
    form.querySelectorAll("select").forEach(function (s) {
      var o = s.options[s.selectedIndex];
      if (o && o.value) { subtotal += num(o, "data-price-cents"); percent += num(o, "data-percent-bp"); }
    });
    form.querySelectorAll("input[type=radio]:checked, input[type=checkbox]:checked").forEach(function (i) {
      subtotal += num(i, "data-price-cents"); percent += num(i, "data-percent-bp");
    });
    form.querySelectorAll("input[type=number][data-unit-price-cents]").forEach(function (i) {
      var v = parseInt(i.value, 10);
      if (!isNaN(v) && v > 0) subtotal += v * num(i, "data-unit-price-cents");
    });
    var unit = subtotal + halfUp(subtotal, percent);
    out.textContent = euro(unit) + " " + suffix;
    if (gross) gross.textContent = "(" + euro(unit + halfUp(unit, vatBp)) + " IVA inclusa)";
  }
  var detail = document.getElementById("prezzo-dettaglio");
  var url = form.dataset.priceUrl, asked = 0, timer = null;
  function show(answer) {
    if (!answer.complete) { detail.hidden = true; return; }
    out.textContent = answer.unit + " " + suffix;
    if (gross) gross.textContent = "(" + euro(answer.unit_net_cents + halfUp(answer.unit_net_cents, vatBp)) + " IVA inclusa)";
    detail.textContent = "";
    answer.price_breakdown.forEach(function (e) {
      var li = document.createElement("li"), label = document.createElement("span"), amount = document.createElement("span");
      label.textContent = e.label;
      amount.textContent = e.amount;
      li.appendChild(label); li.appendChild(document.createTextNode(" ")); li.appendChild(amount);
      detail.appendChild(li);
    });
    detail.hidden = false;
  }
  function ask() {
    if (!url || !detail || !window.fetch) return;
    var params = new URLSearchParams();
    // Files and their receipts do not change the price: only the answers typed or chosen.
    new FormData(form).forEach(function (v, k) {
      if (k.indexOf("answers.") === 0 && typeof v === "string" && !/\.receipt$/.test(k)) { params.append(k, v); }
    });
    var mine = ++asked;
    fetch(url + "?" + params.toString(), { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) { if (answer && mine === asked) show(answer); })
      .catch(function () {});
  }
  function update() {
    compute();
    clearTimeout(timer);
    timer = setTimeout(ask, 150);
  }
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  compute();
  ask();
})();
