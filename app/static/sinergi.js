/* Loaded on every page. The Content-Security-Policy allows no inline script and no eval, so what pages
   once did with onsubmit="..." or htmx trigger filters ([window.sinergiLive]) lives here. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // <form data-confirm="Question?">: ask before sending.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  }, true);

  // Live fragments poll every few seconds (hx-trigger "every Ns"); while the SSE stream is open
  // (window.sinergiLive, see leaderboard.js) a poll only covers a missed event, so it is sent at most
  // once per data-live-poll seconds. A poll has no triggering event; an SSE-triggered request always goes.
  var lastPoll = {}, loadedAt = Date.now();
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    var slow = elt && elt.getAttribute && parseFloat(elt.getAttribute("data-live-poll"));
    if (!slow || event.detail.triggeringEvent) return;
    var key = elt.id || elt.getAttribute("hx-get") || "";
    var now = Date.now();
    if (window.sinergiLive && now - (lastPoll[key] || loadedAt) < slow * 1000) {
      event.preventDefault();
      return;
    }
    lastPoll[key] = now;
  });

  // On a phone the organisers' console menu is one row that scrolls sideways: bring the current
  // section into view (the row itself, not the page, scrolls).
  document.addEventListener("DOMContentLoaded", function () {
    var menu = document.querySelector("nav.console");
    var current = menu && menu.querySelector("[aria-current=page]");
    if (current && menu.scrollWidth > menu.clientWidth) {
      menu.scrollLeft = current.offsetLeft - (menu.clientWidth - current.offsetWidth) / 2;
    }
  });
})();
