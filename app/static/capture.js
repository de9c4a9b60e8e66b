/* Sinergi capture form: send without losing anything on a weak connection, keep a draft on the
   server as it is typed, and check each field as it is left. The form works without this file. */
(function () {
  "use strict";
  var form, button, label, timer, sending = false, touched = {};

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
    // The same idempotency key goes with every attempt, so a retry never makes a second activity.
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (r) {
        if (r.redirected && new URL(r.url).pathname !== form.getAttribute("action")) {
          window.location.assign(r.url);
          return;
        }
        if (r.status >= 500) throw new Error("server");
        return r.text().then(swap);
      })
      .catch(function () {
        ready();
        document.getElementById("net-error").hidden = false;
      });
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

  window.addEventListener("pageshow", function (e) {
    if (e.persisted && button) ready();
  });
  init();
})();
