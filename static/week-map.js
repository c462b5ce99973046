/* The week page's small map: its placed events (from the GeoJSON API) as dots, each linked to its event page.
 *
 * An enhancement: without this script (or Leaflet) the box stays hidden and the page lists every event; the
 * full map page is one link away.  Feed text is untrusted: popups are built from DOM nodes and textContent.
 */
(function () {
  "use strict";
  var element = document.getElementById("week-map");
  if (!element || !window.L || !window.fetch) { return; }
  var options = element.dataset;
  element.hidden = false;
  var map = L.map(element, { maxZoom: 16, scrollWheelZoom: false });
  map.setView([54.5, -3.0], 5);  // the UK, until the events are in
  if (options.tiles) {
    L.tileLayer(options.tiles, { maxZoom: 16, attribution: options.attribution || "" }).addTo(map);
  }

  function popup(feature) {
    var box = document.createElement("div");
    var title = document.createElement("a");
    title.textContent = feature.properties.title;
    title.href = (options.eventPath || "/events/") + encodeURIComponent(feature.id);
    box.appendChild(title);
    if (feature.properties.town) {
      var town = document.createElement("p");
      town.textContent = feature.properties.town;
      box.appendChild(town);
    }
    return box;
  }

  fetch(options.geojson, { headers: { Accept: "application/geo+json" } })
    .then(function (response) { return response.ok ? response.json() : { features: [] }; })
    .then(function (data) {
      var points = [];
      data.features.forEach(function (feature) {
        if (feature.properties.status === "CANCELLED") { return; }
        var at = [feature.geometry.coordinates[1], feature.geometry.coordinates[0]];
        points.push(at);
        L.circleMarker(at, { radius: 6, weight: 2, className: "week-marker" })
          .bindPopup(function () { return popup(feature); }).addTo(map);
      });
      if (points.length) { map.fitBounds(points, { padding: [20, 20], maxZoom: 11 }); }
      element.dataset.markers = String(points.length);
    });
}());
