/* Sinergi capture form: send without losing anything on a weak connection, keep a draft on the
   server as it is typed, and check each field as it is left; without signal, the activity waits in the
   outbox (outbox.js, outbox-view.js). The form works without this file. */
(function () {
  "use strict";
  var form, button, label, timer, editing = null, sending = false, touched = {};

  function fields() {
    // Everything typed, without the photos: the draft must stay small on slow mobile data.
    var out = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string") out.append(name, value);
    });
    return out;
  }

  function fieldName(el) {
    return /^officer_/.test(el.name || "") ? "officers" : el.name;
  }

  function showError(name, message) {
    var el = document.getElementById("err-" + name);
    if (!message) {
      if (el) el.remove();
      return;
    }
    if (!el) {
      el = document.createElement("p");
      el.className = "error";
      el.id = "err-" + name;
      el.setAttribute("data-testid", "error-" + name);
      var at = form.elements[name];
      if (name === "officers") form.querySelector("fieldset").appendChild(el);
      else if (at && at.insertAdjacentElement) at.insertAdjacentElement("afterend", el);
      else return;
    }
    el.textContent = message;
  }

  function checkPhotos() {
    var input = form.elements.photos;
    if (!input || !input.files) return;
    var message = "";
    if (input.files.length > +input.dataset.max) message = input.dataset.tooMany;
    for (var i = 0; i < input.files.length; i++) {
      if (input.files[i].size > +input.dataset.maxBytes) message = input.files[i].name + ": " + input.dataset.tooBig;
    }
    showError("photos", message);
  }

  function save() {
    clearTimeout(timer);
    if (sending || !form.dataset.draftUrl) return;
    var body = fields();
    fetch(form.dataset.draftUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (!answer || sending) return;
        Object.keys(touched).forEach(function (name) { showError(name, answer.errors[name]); });
      })
      .catch(function () { /* offline: the next change tries again */ });
  }

  function later(ms) {
    clearTimeout(timer);
    timer = setTimeout(save, ms);
  }

  function swap(html) {
    // An answer with errors: show it, but keep the photos already chosen in this form.
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.getElementById("capture");
    var old = document.getElementById("capture");
    if (!fresh || !old) {
      document.open();
      document.write(html);
      document.close();
      return;
    }
    var chosen = form.elements.photos, slot = fresh.querySelector('input[type="file"]');
    fresh = document.adoptNode(fresh);
    if (chosen && slot) slot.replaceWith(chosen);
    document.documentElement.lang = doc.documentElement.lang;
    document.title = doc.title;
    old.replaceWith(fresh);
    if (window.htmx) window.htmx.process(fresh);
    init();
    var first = fresh.querySelector(".error");
    if (first) first.scrollIntoView({ block: "center" });
  }

  function ready() {
    sending = false;
    button.disabled = false;
    button.textContent = label;
  }

  function send(event) {
    if (!window.fetch || !window.FormData || !window.DOMParser) return;
    event.preventDefault();
    if (sending) return;
    clearTimeout(timer);
    sending = true;
    button.disabled = true;
    button.textContent = form.dataset.sending;
    document.getElementById("net-error").hidden = true;
    var outbox = form.hasAttribute("data-outbox") && window.SinergiOutbox, key = form.elements.idempotency_key.value;
    if (outbox && navigator.onLine === false) {
      // No signal at all: the activity waits on the phone and the form is free for the next one.
      queue().then(function () { blank(); ready(); show("queued"); }, ready);
      return;
    }
    // The same idempotency key goes with every attempt, so a retry never makes a second activity.
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected && new URL(r.url).pathname !== form.getAttribute("action")) {
          // Confirmed by the server: whatever waited under this key is done.
          // (An edited waiting activity refused once may have come back under a new key: that one too.)
          var done = outbox ? Promise.all([key, editing].filter(Boolean).map(function (k) {
            return outbox.confirmed(k).catch(function () {});
          })) : Promise.resolve();
          return done.then(function () { window.location.assign(r.url); });
        }
        if (r.status >= 500) throw new Error("server");
        return r.text().then(swap);
      })
      .catch(function () {
        ready();
        document.getElementById("net-error").hidden = false;
        // The answer may be lost after the server acted: the outbox sends it again under the same key,
        // and the form stays as it is, being that waiting activity.
        if (outbox) {
          editing = key;
          queue();
        }
      });
  }

  function show(id) {
    ["queued", "editing", "net-error"].forEach(function (other) {
      var el = document.getElementById(other);
      if (el) el.hidden = other !== id;
    });
  }

  // The form as an outbox item: its fields (without the CSRF token) and its photos, reduced.
  function queue() {
    var outbox = window.SinergiOutbox, fields = [], input = form.elements.photos;
    new FormData(form).forEach(function (value, name) {
      if (typeof value === "string" && name !== "_csrf_token" && name !== "idempotency_key") fields.push([name, value]);
    });
    var files = Array.prototype.slice.call((input && input.files) || []);
    return Promise.all(files.map(outbox.reduce)).then(function (photos) {
      return outbox.put({
        key: form.elements.idempotency_key.value, owner: form.dataset.owner, fields: fields, photos: photos,
        title: form.elements.title.value, savedAt: Date.now(), state: "waiting", errors: {}
      });
    }).then(function () {
      document.dispatchEvent(new CustomEvent("sinergi:queued"));
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // A new empty form under a new key, for the next activity.
  function blank() {
    clearTimeout(timer);
    Array.prototype.slice.call(form.elements).forEach(function (el) {
      if (el.name === "kept_photos") el.remove();
      else if (el.type === "checkbox") el.checked = false;
      else if (el.tagName === "SELECT") el.selectedIndex = 0;
      else if (el.type === "file" || el.tagName === "TEXTAREA" || /^(text|number|)$/.test(el.type)) el.value = "";
    });
    var d = new Date();
    form.elements.occurred_at.value = d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) +
      "T" + pad(d.getHours()) + ":" + pad(d.getMinutes());
    form.elements.idempotency_key.value = window.SinergiOutbox.newKey();
    Array.prototype.slice.call(document.querySelectorAll("#capture .error:not(#net-error), [data-testid=draft-restored]"))
      .forEach(function (el) { el.remove(); });
    touched = {};
    editing = null;
  }

  function setValues(name, values) {
    var el = form.elements[name];
    if (!el) return;
    var list = el.length !== undefined && el.tagName !== "SELECT" ? Array.prototype.slice.call(el) : [el];
    list.forEach(function (one, i) {
      if (one.type === "checkbox") one.checked = values.indexOf(one.value) >= 0;
      else one.value = values[i] !== undefined ? values[i] : "";
    });
  }

  // Edit a waiting activity: back into the form under its own key, with its photos and the server's errors.
  function edit(item) {
    blank();
    var named = {};
    item.fields.forEach(function (pair) { (named[pair[0]] = named[pair[0]] || []).push(pair[1]); });
    // Every field the form has, whatever it is (a box left unticked was not sent: it stays unticked).
    Array.prototype.slice.call(form.elements).forEach(function (el) {
      if (el.name && el.type !== "file" && el.type !== "hidden" && el.name !== "village_code" && !named[el.name]) named[el.name] = [];
    });
    Object.keys(named).forEach(function (name) {
      if (name !== "village_code" && name !== "kept_photos") setValues(name, named[name]);
    });
    (named.kept_photos || []).forEach(function (sha) {
      var kept = document.createElement("input");
      kept.type = "hidden";
      kept.name = "kept_photos";
      kept.value = sha;
      form.appendChild(kept);
    });
    form.elements.idempotency_key.value = item.key;
    var village = (named.village_code || [""])[0], select = form.elements.village_code;
    var chosen = select.querySelector('option[value="' + village.replace(/[^\w.]/g, "") + '"]');
    var loaded = chosen ? Promise.resolve() : fetch("/kegiatan/desa?district_code=" +
      encodeURIComponent(form.elements.district_code.value), { credentials: "same-origin" })
      .then(function (r) { return r.text(); }).then(function (html) { select.innerHTML = html; }).catch(function () {});
    loaded.then(function () { select.value = village; });
    if (window.DataTransfer && form.elements.photos) {
      var files = new DataTransfer();
      item.photos.forEach(function (p) { files.items.add(new File([p.blob], p.name, { type: p.type })); });
      form.elements.photos.files = files.files;
    }
    Object.keys(item.errors || {}).forEach(function (name) {
      if (name !== "form") showError(name, item.errors[name]);
    });
    editing = item.key;
    show("editing");
    form.scrollIntoView({ block: "start" });
  }

  function init() {
    form = document.querySelector("form[data-capture]");
    if (!form) return;
    button = form.querySelector('button[type="submit"]');
    label = button.textContent;
    sending = false;
    touched = {};
    form.addEventListener("submit", send);
    form.addEventListener("input", function (e) {
      if (e.target.type !== "file") later(1500);
    });
    form.addEventListener("change", function (e) {
      if (e.target.type === "file") checkPhotos();
      else later(1000);
    });
    form.addEventListener("focusout", function (e) {
      var name = e.target.name && fieldName(e.target);
      if (!name || e.target.type === "file" || e.target.type === "hidden") return;
      touched[name] = true;
      later(300);
    });
  }

  document.addEventListener("sinergi:edit", function (e) { if (form) edit(e.detail); });
  // The form came back (a kept page or the server's draft) under a key that already waits: start afresh.
  document.addEventListener("sinergi:waiting", function (e) {
    if (form && form.hasAttribute("data-outbox") && e.detail.indexOf(form.elements.idempotency_key.value) >= 0 &&
      form.elements.idempotency_key.value !== editing) blank();
  });
  window.addEventListener("pageshow", function (e) {
    if (e.persisted && button) ready();
  });
  init();
})();
