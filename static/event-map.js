/* The event page's map: one marker where the event is, read from the map element's data attributes.
 * A place known less well (a postcode's area; a rough place, such as the group's home town, with a paler marker)
 * is zoomed out further, so as not to look exact.
 */
(function () {
  "use strict";
  var element = document.getElementById("event-map");
  if (!element || !window.L) { return; }
  var options = element.dataset;
  var at = [Number(options.lat), Number(options.lon)];
  var map = L.map(element, { maxZoom: 18, scrollWheelZoom: false });
  var approximate = options.precision === "approximate";
  map.setView(at, { exact: 16, area: 14 }[options.precision] || 12);
  if (options.tiles) {
    L.tileLayer(options.tiles, { maxZoom: 18, attribution: options.attribution || "" }).addTo(map);
  }
  var label = (options.label || "") + (approximate ? " " + (options.wordApproximate || "(approximate place)") : "");
  var icon = approximate ? new L.Icon.Default({ className: "approximate" }) : new L.Icon.Default();
  L.marker(at, { title: label, alt: label, icon: icon, interactive: false, keyboard: false }).addTo(map);
  element.dataset.ready = "true";
}());
