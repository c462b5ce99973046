// "Use my location" in a near-me search box: the browser's position, rounded to about 100 m, goes into the box as
// "lat,lon" (which the hub reads as a place) and the form is sent.  Without this script, or without geolocation,
// the button stays hidden and the box takes a postcode or a town.  Its words come from the status line's data-
// attributes, written in the page's language (templates/_near.html); the English here is only a fallback.
(function () {
  "use strict";
  if (!navigator.geolocation) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("button.use-my-location"), function (button) {
    var input = document.getElementById(button.dataset.nearInput);
    var form = input && input.form;
    var status = button.parentNode.querySelector(".locate-status");
    if (!form) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      if (status) { status.textContent = status.dataset.locating || "Finding where you are…"; }
      button.disabled = true;
      navigator.geolocation.getCurrentPosition(function (position) {
        input.value = position.coords.latitude.toFixed(3) + "," + position.coords.longitude.toFixed(3);
        if (status) { status.textContent = status.dataset.searching || "Searching near you…"; }
        form.submit();
      }, function (error) {
        button.disabled = false;
        if (status) {
          status.textContent = error.code === error.PERMISSION_DENIED
            ? status.dataset.denied || "Your browser did not allow the hub to know where you are: type a postcode or a town instead."
            : status.dataset.failed || "Your location could not be found: type a postcode or a town instead.";
        }
      }, { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 });
    });
  });
}());
