/* The capture page's outbox: what waits on this phone for signal ("2 kegiatan menunggu sinyal"), each
   with edit and delete; sends it when the connection returns (Background Sync where the browser has it,
   otherwise on "online" and whenever the page opens). Installs the service worker (/sw.js). */
(function () {
  "use strict";
  var box = document.getElementById("outbox"), Outbox = window.SinergiOutbox;
  if (!box || !Outbox || !window.indexedDB) return;
  var list = box.querySelector("[data-testid=outbox-items]"), count = box.querySelector("[data-testid=outbox-count]");
  var lang = document.documentElement.lang === "en" ? "en-GB" : "id-ID";

  function number(n) { return new Intl.NumberFormat(lang).format(n); }

  // "14 Februari 2024, 07.30 WIB", as the server writes dates.
  function when(ms) {
    var parts = {};
    new Intl.DateTimeFormat(lang, {
      timeZone: "Asia/Jakarta", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit",
      hourCycle: "h23"
    }).formatToParts(new Date(ms)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.day + " " + parts.month + " " + parts.year + ", " + parts.hour + "." + parts.minute + " WIB";
  }

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function render() {
    return Promise.all([Outbox.all(), Outbox.sentKeys()]).then(function (found) {
      var items = found[0], owner = (document.querySelector("form[data-outbox]") || box).getAttribute("data-owner");
      items = items.filter(function (i) { return i.owner === owner; });
      // Keys that wait or were sent lately (maybe by the service worker while this page loaded).
      var keys = items.map(function (i) { return i.key; }).concat(found[1]);
      document.dispatchEvent(new CustomEvent("sinergi:waiting", { detail: keys }));
      box.hidden = !items.length;
      count.textContent = box.dataset[items.length === 1 ? "one" : "other"].replace("{n}", number(items.length));
      list.textContent = "";
      items.forEach(function (item) {
        var li = el("li", "", { "data-testid": "outbox-item", "data-key": item.key });
        li.appendChild(el("strong", item.title || box.dataset.untitled, { "data-testid": "outbox-title" }));
        li.appendChild(el("span", " · " + box.dataset.saved.replace("{when}", when(item.savedAt)) + " · " +
          box.dataset.photos.replace("{n}", number(item.photos.length)), { class: "muted" }));
        if (item.state === "invalid") {
          li.appendChild(el("p", box.dataset.invalid, { class: "error", "data-testid": "outbox-invalid" }));
          // The field's own messages; the page's general line only when it has nothing more precise.
          var errors = item.errors || {}, names = Object.keys(errors);
          if (names.length > 1) names = names.filter(function (name) { return name !== "form"; });
          names.forEach(function (name) {
            li.appendChild(el("p", errors[name], { class: "error", "data-testid": "outbox-error" }));
          });
        }
        var edit = el("button", box.dataset.edit, { type: "button", class: "link", "data-testid": "outbox-edit" });
        var drop = el("button", box.dataset["delete"], { type: "button", class: "link", "data-testid": "outbox-delete" });
        edit.addEventListener("click", function () {
          Outbox.get(item.key).then(function (fresh) {
            if (fresh) document.dispatchEvent(new CustomEvent("sinergi:edit", { detail: fresh }));
          });
        });
        drop.addEventListener("click", function () {
          if (window.confirm(box.dataset.confirm)) Outbox.remove(item.key).then(render);
        });
        li.appendChild(document.createTextNode(" "));
        li.appendChild(edit);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(drop);
        list.appendChild(li);
      });
    });
  }

  function sent(n) {
    var note = document.getElementById("outbox-sent");
    if (!n || !note) return;
    note.firstElementChild.textContent = note.dataset[n === 1 ? "one" : "other"].replace("{n}", number(n));
    note.hidden = false;
  }

  function flush() {
    if (navigator.onLine === false) return render();
    return Outbox.flush().then(sent, function () {}).then(render);
  }

  function later() {
    // Background Sync sends even after the tab is closed; without it, "online" and the next visit do.
    var sw = navigator.serviceWorker;
    if (!sw) return;
    sw.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register("sinergi-outbox");
    }).catch(function () {});
  }

  document.addEventListener("sinergi:queued", function () {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist().catch(function () {});
    later();
    render();
  });
  window.addEventListener("online", flush);
  if (navigator.serviceWorker) {
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.outbox === "changed") {
        sent(e.data.sent);
        render();
      }
    });
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function () {
      document.documentElement.setAttribute("data-offline", "ready");
    }).catch(function () {});
  }
  // Shown first, so that a form that came back under a key that waits is emptied before anything is sent
  // (the server's draft of an activity recorded without signal would otherwise look unsent).
  // After every deferred script ran: capture.js listens for "sinergi:waiting" by then.
  document.addEventListener("DOMContentLoaded", function () { render().then(flush); });
})();
