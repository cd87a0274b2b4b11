// Form enhancements; every form works without them.
// - The error summary takes the focus, so a screen reader announces it and Tab goes on to the links.
// - Ctrl+Enter (⌘+Enter) submits a form marked data-submit-shortcut.
// - A field marked data-focus-on-hash="record" gets the cursor when the page opens at #record.
// - Text with data-maxlength shows "n / max 文字" and turns red past the limit (the server refuses it).
(function () {
  "use strict";
  var summary = document.querySelector(".error-summary");
  if (summary) summary.focus();

  document.querySelectorAll("form[data-submit-shortcut]").forEach(function (form) {
    form.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      }
    });
  });

  if (!summary && window.location.hash) {
    var target = document.querySelector('[data-focus-on-hash="' + window.location.hash.slice(1) + '"]');
    // After the browser has scrolled to the fragment (which would take the focus away again).
    if (target) window.addEventListener("load", function () { window.setTimeout(function () { target.focus(); }, 0); });
  }

  document.querySelectorAll("[data-maxlength]").forEach(function (input) {
    var limit = parseInt(input.getAttribute("data-maxlength"), 10);
    var counter = document.getElementById(input.id + "_counter");
    if (!counter || !limit) return;
    var template = counter.getAttribute("data-template") || "{n} / {max}";
    function update() {
      var n = Array.from(input.value).length;
      counter.textContent = template.replace("{n}", n).replace("{max}", limit);
      counter.classList.toggle("field__counter--over", n > limit);
    }
    input.addEventListener("input", update);
    update();
  });
})();
