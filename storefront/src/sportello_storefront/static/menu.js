// The header's "Servizi": a disclosure button over the categories (links), loaded on first open.
// Without this script it stays the plain link to /servizi.
(function () {
  "use strict";
  var link = document.querySelector("a.services-link[data-menu]");
  var panel = link && document.getElementById(link.dataset.menu);
  if (!link || !panel || !window.fetch) return;

  var button = document.createElement("button");
  button.type = "button";
  button.className = "services-toggle link";
  button.textContent = link.textContent;
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", panel.id);
  link.replaceWith(button);
  var loaded = null;

  function item(href, text) {
    var li = document.createElement("li"), a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    li.appendChild(a);
    return li;
  }
  function load() {
    if (!loaded) {
      loaded = fetch("/menu/servizi", { headers: { Accept: "application/json" } })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (categories) {
          panel.appendChild(item("/servizi", "Tutte le categorie"));
          categories.forEach(function (c) { panel.appendChild(item(c.url, c.name)); });
        })
        .catch(function () { loaded = null; window.location.href = "/servizi"; throw new Error("menu"); });
    }
    return loaded;
  }
  function links() { return Array.prototype.slice.call(panel.querySelectorAll("a")); }
  function isOpen() { return button.getAttribute("aria-expanded") === "true"; }
  function open(focus) {
    return load().then(function () {
      panel.hidden = false;
      button.setAttribute("aria-expanded", "true");
      var all = links();
      if (focus === "first" && all.length) all[0].focus();
      if (focus === "last" && all.length) all[all.length - 1].focus();
    }, function () {});
  }
  function close(refocus) {
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    if (refocus) button.focus();
  }

  button.addEventListener("click", function () { if (isOpen()) close(false); else open(null); });
  button.addEventListener("keydown", function (e) {
    if (e.key === "ArrowDown") { e.preventDefault(); open("first"); }
    else if (e.key === "ArrowUp") { e.preventDefault(); open("last"); }
    else if (e.key === "Escape" && isOpen()) { e.preventDefault(); close(true); }
  });
  panel.addEventListener("keydown", function (e) {
    var all = links(), i = all.indexOf(document.activeElement);
    if (e.key === "Escape") { e.preventDefault(); close(true); }
    else if (e.key === "ArrowDown") { e.preventDefault(); all[(i + 1) % all.length].focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); all[(i - 1 + all.length) % all.length].focus(); }
    else if (e.key === "Home") { e.preventDefault(); all[0].focus(); }
    else if (e.key === "End") { e.preventDefault(); all[all.length - 1].focus(); }
  });
  // Leaving the menu (Tab away, a tap elsewhere) closes it.
  button.parentNode.addEventListener("focusout", function (e) {
    if (isOpen() && !button.parentNode.contains(e.relatedTarget)) close(false);
  });
  document.addEventListener("click", function (e) {
    if (isOpen() && !button.parentNode.contains(e.target)) close(false);
  });
})();
