// Each file chosen on a service form is uploaded at once, with a progress bar, its name and size;
// the form then carries its receipt. Without this script the files go with the form itself.
(function () {
  "use strict";
  function size(bytes) {
    return bytes < 1048576 ? Math.max(1, Math.round(bytes / 1024)) + " KB"
      : (bytes / 1048576).toFixed(1).replace(".", ",") + " MB";
  }
  function upload(input, list, file, csrf) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = file.name + " (" + size(file.size) + ") ";
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    bar.setAttribute("aria-label", "Caricamento di " + file.name);
    item.append(label, bar);
    list.append(item);
    if (file.size > Number(input.dataset.maxBytes)) {
      bar.remove();
      item.className = "error";
      label.textContent = "«" + file.name + "» supera " + size(Number(input.dataset.maxBytes)) + ".";
      return;
    }
    var body = new FormData();
    body.append("csrf_token", csrf);
    body.append("file", file);
    var xhr = new XMLHttpRequest();
    xhr.open("POST", input.dataset.uploadUrl);
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); }
    };
    xhr.onload = function () {
      var answer = {};
      try { answer = JSON.parse(xhr.responseText); } catch (err) { answer = {}; }
      bar.remove();
      if (xhr.status === 201) {
        label.textContent = answer.name + " (" + size(answer.size_bytes) + ")";
        var kept = document.createElement("input");
        kept.type = "hidden";
        kept.name = input.name + ".receipt";
        kept.value = answer.receipt;
        item.append(kept);
      } else {
        item.className = "error";
        label.textContent = "«" + file.name + "»: " + (answer.detail || "caricamento non riuscito, riprova.");
      }
    };
    xhr.onerror = function () {
      bar.remove();
      item.className = "error";
      label.textContent = "«" + file.name + "»: caricamento non riuscito, riprova.";
    };
    xhr.send(body);
  }
  document.querySelectorAll("input[type=file][data-upload-url]").forEach(function (input) {
    input.addEventListener("change", function () {
      var list = document.getElementById("file-" + input.id);
      var csrf = input.form.querySelector("input[name=csrf_token]").value;
      Array.prototype.forEach.call(input.files, function (file) { upload(input, list, file, csrf); });
      input.value = "";  // uploaded already: the form sends the receipts, not the bytes again
    });
  });
})();
