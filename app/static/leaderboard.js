// Live leaderboards: while the SSE stream is open the fragments poll slowly (window.sinergiLive).
(function () {
  window.sinergiLive = false;
  document.addEventListener("htmx:sseOpen", function () { window.sinergiLive = true; document.documentElement.dataset.live = "1"; });
  document.addEventListener("htmx:sseError", function () { window.sinergiLive = false; document.documentElement.dataset.live = "0"; });
  document.addEventListener("htmx:sseClose", function () { window.sinergiLive = false; document.documentElement.dataset.live = "0"; });
})();
