/* Sinergi outbox: activities recorded without a connection wait on the phone (IndexedDB) and are sent
   when the signal returns, each under its own idempotency key. Loaded by the capture page and by the
   service worker (/sw.js), so the same code sends from either. See docs/offline.md. */
(function (scope) {
  "use strict";
  var DB = "sinergi-outbox", STORE = "items", SENT = "sent", PAGE = "/kegiatan/baru", LONG_SIDE = 2000;
  var KEEP_SENT_MS = 7 * 24 * 3600 * 1000;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 2);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains(STORE)) db.createObjectStore(STORE, { keyPath: "key" });
        // The keys the server confirmed lately: a page that comes back under one of them starts afresh.
        if (!db.objectStoreNames.contains(SENT)) db.createObjectStore(SENT, { keyPath: "key" });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work, names) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(names || STORE, mode), out;
        var req = work(names ? t : t.objectStore(STORE));
        if (req) req.onsuccess = function () { out = req.result; };
        t.oncomplete = function () { db.close(); resolve(out); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() {
    return tx("readonly", function (s) { return s.getAll(); }).then(function (items) {
      return (items || []).sort(function (a, b) { return a.savedAt - b.savedAt; });
    });
  }
  function get(key) { return tx("readonly", function (s) { return s.get(key); }); }
  function put(item) { return tx("readwrite", function (s) { return s.put(item); }); }
  function remove(key) { return tx("readwrite", function (s) { return s.delete(key); }); }

  // Confirmed by the server: out of the outbox, its key remembered for a week.
  function confirmed(key) {
    var now = Date.now();
    return tx("readwrite", function (t) {
      t.objectStore(STORE).delete(key);
      var sent = t.objectStore(SENT);
      sent.put({ key: key, at: now });
      sent.getAll().onsuccess = function (e) {
        e.target.result.forEach(function (old) { if (now - old.at > KEEP_SENT_MS) sent.delete(old.key); });
      };
    }, [STORE, SENT]);
  }
  function sentKeys() {
    return tx("readonly", function (t) { return t.objectStore(SENT).getAllKeys(); }, [SENT]).then(function (keys) {
      return keys || [];
    });
  }

  function decode(text) {
    return text.replace(/<[^>]*>/g, "").replace(/&#(\d+);/g, function (_m, n) { return String.fromCharCode(+n); })
      .replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").trim();
  }

  // The server answers a refused form with the form page: its messages are the marked <p class="error">.
  function errorsOf(html) {
    var out = {}, re = /<p class="error"[^>]*data-testid="(?:error-([\w]+)|form-errors)"[^>]*>([\s\S]*?)<\/p>/g, m;
    while ((m = re.exec(html))) out[m[1] || "form"] = decode(m[2]);
    return out;
  }

  function withLock(work) {
    var locks = scope.navigator && scope.navigator.locks;
    return locks ? locks.request("sinergi-outbox", work) : work();
  }

  function body(item, token) {
    var data = new FormData();
    item.fields.forEach(function (pair) { data.append(pair[0], pair[1]); });
    data.set("idempotency_key", item.key);
    if (token) data.set("_csrf_token", token);
    item.photos.forEach(function (p) { data.append("photos", p.blob, p.name); });
    return data;
  }

  // Who is signed in now, and a fresh CSRF token (the token's cookie ends with the browser session):
  // read from the capture page itself, which the service worker keeps for offline use at the same time.
  function session() {
    return fetch(PAGE, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok || new URL(r.url).pathname !== PAGE) return null;
      return r.clone().text().then(function (html) {
        var owner = /data-owner="([^"]*)"/.exec(html), token = /name="_csrf_token" value="([^"]*)"/.exec(html);
        if (!owner || !token) return null;
        if (scope.caches) caches.open("sinergi-pages-v1").then(function (c) { return c.put(PAGE, r); });
        return { owner: owner[1], token: token[1] };
      });
    });
  }

  // One item: true when the server confirmed it (created now or before: the key finds the same activity).
  function send(item, who) {
    return fetch(PAGE, { method: "POST", body: body(item, who.token), credentials: "same-origin" }).then(function (r) {
      var path = new URL(r.url).pathname;
      if (r.ok && r.redirected && /^\/kegiatan\/\d+$/.test(path)) return confirmed(item.key).then(function () { return true; });
      if (r.status >= 400 && r.status < 500 && r.status !== 403 && r.status !== 429) {
        return r.text().then(function (html) {
          item.state = "invalid";
          item.errors = errorsOf(html);
          return put(item).then(function () { return false; });
        });
      }
      throw new Error("not now: " + r.status);
    });
  }

  // Sends everything that waits for the account signed in now; rejects when the network is still away,
  // so that Background Sync tries again later.
  function flush() {
    return withLock(function () {
      return all().then(function (items) {
        var due = items.filter(function (i) { return i.state !== "invalid"; });
        if (!due.length) return 0;
        return session().then(function (who) {
          if (!who) return 0;
          var sent = 0;
          return due.filter(function (i) { return i.owner === who.owner; }).reduce(function (chain, item) {
            return chain.then(function () { return send(item, who); }).then(function (ok) { sent += ok ? 1 : 0; });
          }, Promise.resolve()).then(function () { return sent; });
        });
      });
    });
  }

  function newKey() {
    if (scope.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) h.push((b[i] + 256).toString(16).slice(1));
    return h.join("").replace(/^(.{8})(.{4})(.{4})(.{4})/, "$1-$2-$3-$4-");
  }

  // --- Photos, reduced before they wait (long side <= 2000 px, JPEG). The server reads the capture time
  // and GPS position from EXIF, which a canvas drops: the original's EXIF block is put back into the
  // reduced JPEG, with its orientation set to "upright" because the pixels are already turned.

  function exifSegment(buf) {
    var v = new DataView(buf), at = 2;
    if (v.byteLength < 4 || v.getUint16(0) !== 0xffd8) return null;
    while (at + 4 <= v.byteLength) {
      var marker = v.getUint16(at), size = v.getUint16(at + 2);
      if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null;
      if (marker === 0xffe1 && v.getUint32(at + 4) === 0x45786966) return upright(buf.slice(at, at + 2 + size));
      at += 2 + size;
    }
    return null;
  }

  function upright(segment) {
    var v = new DataView(segment), tiff = 10;
    try {
      var le = v.getUint16(tiff) === 0x4949, ifd = tiff + v.getUint32(tiff + 4, le), n = v.getUint16(ifd, le);
      for (var i = 0; i < n; i++) {
        var e = ifd + 2 + i * 12;
        if (v.getUint16(e, le) === 0x0112) v.setUint16(e + 8, 1, le);
      }
    } catch (err) { /* an unusual block is kept as it is */ }
    return segment;
  }

  function withExif(jpeg, segment) {
    if (!segment) return Promise.resolve(jpeg);
    return jpeg.arrayBuffer().then(function (buf) {
      return new Blob([buf.slice(0, 2), segment, buf.slice(2)], { type: "image/jpeg" });
    });
  }

  function encode(bitmap, w, h) {
    if (scope.OffscreenCanvas) {
      var off = new OffscreenCanvas(w, h);
      off.getContext("2d").drawImage(bitmap, 0, 0, w, h);
      return off.convertToBlob({ type: "image/jpeg", quality: 0.85 });
    }
    var canvas = document.createElement("canvas");
    canvas.width = w;
    canvas.height = h;
    canvas.getContext("2d").drawImage(bitmap, 0, 0, w, h);
    return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
  }

  // A photo as it will wait: {name, type, blob}. A JPEG already small enough is kept byte for byte;
  // a format the browser cannot draw (HEIC on most phones) is kept as it is, for the server to check.
  function reduce(file) {
    var keep = { name: file.name, type: file.type, blob: file };
    if (!scope.createImageBitmap) return Promise.resolve(keep);
    return createImageBitmap(file).then(function (bitmap) {
      var w = bitmap.width, h = bitmap.height, scale = Math.min(1, LONG_SIDE / Math.max(w, h));
      if (scale === 1 && file.type === "image/jpeg") {
        bitmap.close();
        return keep;
      }
      w = Math.max(1, Math.round(w * scale));
      h = Math.max(1, Math.round(h * scale));
      return Promise.all([encode(bitmap, w, h), file.arrayBuffer()]).then(function (r) {
        bitmap.close();
        return withExif(r[0], exifSegment(r[1]));
      }).then(function (blob) {
        return { name: file.name.replace(/\.\w+$/, "") + ".jpg", type: "image/jpeg", blob: blob };
      });
    }).catch(function () { return keep; });
  }

  scope.SinergiOutbox = {
    all: all, get: get, put: put, remove: remove, confirmed: confirmed, sentKeys: sentKeys, flush: flush, reduce: reduce, newKey: newKey, errorsOf: errorsOf
  };
})(self);
