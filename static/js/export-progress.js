// Updates the export progress without reloading; without JavaScript a <noscript> refresh does it.
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box || box.dataset.finished === "1") return;
  var url = box.dataset.statusUrl;
  function set(id, value) {
    var el = document.getElementById(id);
    if (el) el.textContent = value;
  }
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) {
        var bar = document.getElementById("job-progress");
        if (bar) { bar.max = data.total || 1; bar.value = data.done; }
        set("job-done", data.done);
        set("job-total", data.total);
        set("job-percent", data.percent);
        set("job-status", data.status_label);
        if (data.finished) {
          window.location.reload();
        } else {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
