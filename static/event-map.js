/* The event page's map: one marker where the event is, read from the map element's data attributes.
 * A rough place (the group's home town, say) is zoomed out so as not to look exact.
 */
(function () {
  "use strict";
  var element = document.getElementById("event-map");
  if (!element || !window.L) { return; }
  var options = element.dataset;
  var at = [Number(options.lat), Number(options.lon)];
  var map = L.map(element, { maxZoom: 18, scrollWheelZoom: false });
  map.setView(at, options.approximate ? 12 : 15);
  if (options.tiles) {
    L.tileLayer(options.tiles, { maxZoom: 18, attribution: options.attribution || "" }).addTo(map);
  }
  var label = (options.label || "") + (options.approximate ? " (approximate place)" : "");
  var icon = options.approximate ? new L.Icon.Default({ className: "approximate" }) : new L.Icon.Default();
  L.marker(at, { title: label, alt: label, icon: icon, interactive: false, keyboard: false }).addTo(map);
  element.dataset.ready = "true";
}());
