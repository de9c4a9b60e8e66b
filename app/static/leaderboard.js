// Live leaderboards: while the SSE stream is open the fragments poll slowly (window.sinergiLive).
(function () {
  window.sinergiLive = false;
  document.addEventListener("htmx:sseOpen", function () { window.sinergiLive = true; document.documentElement.dataset.live = "1"; });
  document.addEventListener("htmx:sseError", function () { window.sinergiLive = false; document.documentElement.dataset.live = "0"; });
  document.addEventListener("htmx:sseClose", function () { window.sinergiLive = false; document.documentElement.dataset.live = "0"; });
})();
// Award night: the right arrow or space uncovers the next place, the left arrow goes back.
document.addEventListener("keydown", function (event) {
  if (!document.querySelector("[data-testid=reveal]")) return;
  var link = null;
  if (event.key === "ArrowRight" || event.key === " ") link = document.querySelector("[data-testid=reveal-next]");
  if (event.key === "ArrowLeft") link = document.querySelector("[data-testid=reveal-prev]");
  if (link) { event.preventDefault(); link.click(); }
});
