/* Sinergi service worker (served as /sw.js, scope "/"): keeps the capture page, its scripts and styles
   and the regency's desa/kelurahan list, so that the form opens without signal once it was opened with
   it; sends the outbox (outbox.js) on Background Sync. Nothing else passes through it. docs/offline.md */
"use strict";
importScripts("/static/outbox.js");

var VERSION = "v1";
var STATIC = "sinergi-static-" + VERSION, PAGES = "sinergi-pages-v1";
var PAGE = "/kegiatan/baru", VILLAGES = "/kegiatan/desa";
var ASSETS = [
  "/static/app.css", "/static/vendor/htmx.min.js", "/static/sinergi.js", "/static/capture.js",
  "/static/outbox.js", "/static/outbox-view.js", "/static/brand/icon.svg"
];

function keepPage() {
  // The page is the signed-in participant's own: kept only when it really is the form (not a sign-in).
  return caches.open(PAGES).then(function (cache) {
    return Promise.all([PAGE, VILLAGES].map(function (url) {
      return fetch(url, { credentials: "same-origin" }).then(function (r) {
        if (r.ok && new URL(r.url).pathname === url) return cache.put(url, r);
      });
    }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(STATIC).then(function (cache) { return cache.addAll(ASSETS); })
    .then(function () { return keepPage().catch(function () {}); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) {
      return n.indexOf("sinergi-") === 0 && n !== STATIC && n !== PAGES;
    }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

// Known to be offline: at once to the kept copy. Otherwise the server, unless it is silent for `ms`
// (a signal too weak to carry anything).
function network(request, ms) {
  if (self.navigator.onLine === false) return Promise.reject(new Error("offline"));
  return new Promise(function (resolve, reject) {
    var timer = setTimeout(function () { reject(new Error("timeout")); }, ms);
    fetch(request).then(function (r) { clearTimeout(timer); resolve(r); },
      function (e) { clearTimeout(timer); reject(e); });
  });
}

// The form: fresh from the server when it answers within 10 seconds, else the kept copy.
function page(event) {
  return network(event.request, 10000).then(function (r) {
    if (r.ok && !r.redirected) {
      var copy = r.clone();
      event.waitUntil(caches.open(PAGES).then(function (c) { return c.put(PAGE, copy); }));
    }
    return r;
  }).catch(function () {
    return caches.open(PAGES).then(function (c) { return c.match(PAGE); }).then(function (hit) {
      return hit || Response.error();
    });
  });
}

// One kecamatan's desa: from the server, else kept, else cut from the kept list of the whole regency.
function villages(event, url) {
  var key = VILLAGES + url.search;
  return network(event.request, 10000).then(function (r) {
    if (r.ok) {
      var copy = r.clone();
      event.waitUntil(caches.open(PAGES).then(function (c) { return c.put(key, copy); }));
    }
    return r;
  }).catch(function () {
    return caches.open(PAGES).then(function (c) {
      return c.match(key).then(function (hit) { return hit || c.match(VILLAGES); });
    }).then(function (hit) {
      var code = url.searchParams.get("district_code");
      if (!hit || !code) return hit || Response.error();
      return hit.text().then(function (html) {
        var head = html.split("<optgroup")[0], re = new RegExp(
          '<optgroup[^>]*data-district="' + code.replace(/[^\w.]/g, "") + '"[\\s\\S]*?</optgroup>');
        var group = re.exec(html);
        return new Response(head + (group ? group[0] : html.slice(head.length)),
          { headers: { "Content-Type": "text/html; charset=utf-8" } });
      });
    });
  });
}

// Scripts and styles: the kept copy at once, refreshed in the background for the next visit.
function asset(event) {
  return caches.open(STATIC).then(function (cache) {
    return cache.match(event.request, { ignoreSearch: true }).then(function (hit) {
      var fresh = fetch(event.request).then(function (r) {
        if (r.ok) return cache.put(event.request, r.clone()).then(function () { return r; });
        return r;
      });
      if (hit) {
        event.waitUntil(fresh.catch(function () {}));
        return hit;
      }
      return fresh;
    });
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request, url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/keluar") {
    // Signing out forgets the participant's kept page (the outbox stays, marked with its owner).
    event.waitUntil(caches.delete(PAGES));
    return;
  }
  if (request.method !== "GET") return;
  if (url.pathname === PAGE && request.mode === "navigate") event.respondWith(page(event));
  else if (url.pathname === VILLAGES) event.respondWith(villages(event, url));
  else if (ASSETS.indexOf(url.pathname) >= 0) event.respondWith(asset(event));
});

function tell(sent) {
  return self.clients.matchAll({ type: "window" }).then(function (list) {
    list.forEach(function (c) { c.postMessage({ outbox: "changed", sent: sent }); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "sinergi-outbox") return;
  // A rejection (still no network) lets the browser try again later.
  event.waitUntil(self.SinergiOutbox.flush().then(tell, function (err) {
    return tell(0).then(function () { throw err; });
  }));
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.outbox === "flush") {
    event.waitUntil(self.SinergiOutbox.flush().then(tell, function () { return tell(0); }));
  }
});
