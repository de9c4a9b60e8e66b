// Live leaderboards, their filters and the share button.
(function () {
  "use strict";
  // While the SSE stream is open the fragments poll slowly (window.sinergiLive, see sinergi.js).
  window.sinergiLive = false;
  document.addEventListener("htmx:sseOpen", function () { window.sinergiLive = true; document.documentElement.dataset.live = "1"; });
  document.addEventListener("htmx:sseError", function () { window.sinergiLive = false; document.documentElement.dataset.live = "0"; });
  document.addEventListener("htmx:sseClose", function () { window.sinergiLive = false; document.documentElement.dataset.live = "0"; });

  // The board's filters apply as soon as one changes: only the board's fragment is fetched, and the
  // address bar follows (so a shared or reloaded link shows the same view). Without JavaScript the
  // form's button sends it.
  document.addEventListener("change", function (event) {
    var form = event.target && event.target.closest && event.target.closest("form[data-live-filters]");
    if (!form || !window.htmx) return;
    var query = new URLSearchParams(new FormData(form)).toString();
    window.htmx.ajax("GET", "/papan/baris?" + query, { target: "#board", swap: "outerHTML" });
    history.replaceState(null, "", "/?" + query);
  });

  // "Share": the phone's own share sheet where there is one; otherwise the link opens WhatsApp.
  document.addEventListener("click", function (event) {
    var link = event.target && event.target.closest && event.target.closest("[data-share]");
    if (!link || !navigator.share) return;
    event.preventDefault();
    navigator.share({
      title: link.getAttribute("data-share-title") || document.title,
      text: link.getAttribute("data-share-title") || "",
      url: link.getAttribute("data-share-url") || location.href
    }).catch(function () { /* the reader closed the share sheet */ });
  });

  // The big screen's clock, in the competition's time zone.
  var clock = document.querySelector("[data-clock]");
  if (clock && window.Intl) {
    var format = new Intl.DateTimeFormat(document.documentElement.lang || "id", {
      timeZone: clock.getAttribute("data-timezone") || "Asia/Jakarta",
      day: "numeric", month: "long", hour: "2-digit", minute: "2-digit", second: "2-digit"
    });
    var zone = { "Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT" }[clock.getAttribute("data-timezone")] || "";
    var tick = function () { clock.textContent = format.format(new Date()) + (zone ? " " + zone : ""); };
    tick();
    setInterval(tick, 1000);
  }

  // Award night: the right arrow or space uncovers the next place, the left arrow goes back.
  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-testid=reveal]")) return;
    var link = null;
    if (event.key === "ArrowRight" || event.key === " " || event.key === "PageDown") link = document.querySelector("[data-testid=reveal-next]");
    if (event.key === "ArrowLeft" || event.key === "PageUp") link = document.querySelector("[data-testid=reveal-prev]");
    if (link) { event.preventDefault(); link.click(); }
  });
})();
