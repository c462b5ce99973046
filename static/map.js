/* The event map: loads the page's GeoJSON and shows one clustered marker per placed event. */
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L) { return; }

  var map = L.map(element, { maxZoom: 18, scrollWheelZoom: false });
  map.setView([54.5, -3.0], 5);  // the UK, until the events are in
  if (element.dataset.tiles) {
    L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.attribution || "" }).addTo(map);
  }
  var cluster = L.markerClusterGroup();
  map.addLayer(cluster);

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) { node.className = className; }
    return node;
  }

  function when(p) {
    var options = { weekday: "short", day: "numeric", month: "short", timeZone: "Europe/London" };
    if (p.all_day) { return new Date(p.start + "T12:00:00Z").toLocaleDateString("en-GB", options) + " (all day)"; }
    var start = new Date(p.start);
    return start.toLocaleDateString("en-GB", options) + ", " +
      start.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/London" });
  }

  /* Popups are built from DOM nodes with textContent: feed text never becomes markup. */
  function popup(p) {
    var box = document.createElement("div");
    box.className = "popup";
    var title = document.createElement("h3");
    if (p.url) {
      var link = text("a", p.title);
      link.href = p.url;
      link.rel = "nofollow ugc noopener";
      title.appendChild(link);
    } else {
      title.textContent = p.title;
    }
    if (p.status === "CANCELLED") { title.insertBefore(text("strong", "Cancelled: "), title.firstChild); }
    box.appendChild(title);
    box.appendChild(text("p", when(p), "when"));
    if (p.location) { box.appendChild(text("p", p.location, "where")); }
    if (p.place_precision === "approximate") { box.appendChild(text("p", "Approximate place: the group's home town", "where")); }
    if (p.groups && p.groups.length) {
      box.appendChild(text("p", "By " + p.groups.map(function (g) { return g.name; }).join(", "), "who"));
    }
    return box;
  }

  fetch(element.dataset.geojson, { headers: { Accept: "application/geo+json" } })
    .then(function (response) { return response.json(); })
    .then(function (data) {
      var markers = [];
      data.features.forEach(function (feature) {
        var c = feature.geometry.coordinates;
        var marker = L.marker([c[1], c[0]], { title: feature.properties.title, alt: feature.properties.title });
        marker.bindPopup(function () { return popup(feature.properties); });
        markers.push(marker);
      });
      cluster.addLayers(markers);
      element.dataset.markers = String(markers.length);
      if (markers.length) { map.fitBounds(cluster.getBounds(), { padding: [30, 30], maxZoom: 12 }); }
      element.dispatchEvent(new CustomEvent("hub:loaded", { detail: markers.length }));
    })
    .catch(function () { element.dataset.markers = "error"; });
}());
