// Warns a few minutes before the idle timeout and offers to stay logged in (accounts:keepalive).
// Without JavaScript nothing is lost either: a form sent after the timeout is carried through
// the login (accounts/resume.py).
(function () {
  "use strict";
  var box = document.getElementById("session-warning");
  if (!box) return;
  var idle = parseInt(box.dataset.idleSeconds, 10);
  var warn = parseInt(box.dataset.warnSeconds, 10);
  // The server renews the session at most once a minute: count from a minute earlier.
  var renewSlack = 60;
  var remainingEl = box.querySelector("[data-remaining]");
  var stay = box.querySelector("[data-stay]");
  var expiresAt, warnTimer, tick;

  function fmt(seconds) {
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return box.dataset.formatMinutes.replace("{m}", m).replace("{s}", s < 10 ? "0" + s : s);
  }
  function show() {
    box.hidden = false;
    tick = window.setInterval(function () {
      var left = Math.max(0, Math.round((expiresAt - Date.now()) / 1000));
      if (remainingEl) remainingEl.textContent = fmt(left);
      if (left === 0) {
        window.clearInterval(tick);
        box.querySelector("[data-message]").textContent = box.dataset.expiredText;
        stay.hidden = true;
      }
    }, 1000);
  }
  function start() {
    box.hidden = true;
    stay.hidden = false;
    window.clearTimeout(warnTimer);
    window.clearInterval(tick);
    expiresAt = Date.now() + (idle - renewSlack) * 1000;
    warnTimer = window.setTimeout(show, Math.max(0, (idle - renewSlack - warn) * 1000));
  }
  stay.addEventListener("click", function () {
    var token = document.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(box.dataset.keepaliveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
    })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (data) { idle = data.idle_seconds || idle; start(); })
      .catch(function () {
        box.querySelector("[data-message]").textContent = box.dataset.expiredText;
        stay.hidden = true;
      });
  });
  start();
})();
