// The officer's confirm form: if the browser shares where the phone is, it goes with the confirmation
// (hidden fields lat, lon, accuracy); whether or not it does, the form is sent within a few seconds.
(function () {
  "use strict";
  function send(form) {
    form.dataset.sent = "1";
    form.submit();
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-geo]") || form.dataset.sent) return;
    if (!navigator.geolocation) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    var timer = window.setTimeout(function () { send(form); }, 5000);
    navigator.geolocation.getCurrentPosition(
      function (position) {
        window.clearTimeout(timer);
        form.elements.lat.value = String(position.coords.latitude);
        form.elements.lon.value = String(position.coords.longitude);
        form.elements.accuracy.value = String(position.coords.accuracy);
        send(form);
      },
      function () {
        window.clearTimeout(timer);
        send(form);
      },
      { enableHighAccuracy: true, timeout: 4000, maximumAge: 60000 }
    );
  });
})();
