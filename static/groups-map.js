/* The group directory's map (/groups) and a group's own small map (/groups/x).
 *
 * /groups: one marker per feature of the page's GeoJSON (the same filters as the list beside it, so the two
 * agree one for one: the feature's id is the list item's data-slug). A popup shows the list item's own name
 * and home, copied as text from the page, which is already in the page's language; nothing from the data is
 * read as markup. A group page: one marker at the home its map element names.
 * Without JavaScript the list is the whole directory; text this script adds comes from data- attributes.
 */
(function () {
  "use strict";
  if (!window.L) { return; }

  function base(element) {
    var map = L.map(element, { maxZoom: 16, scrollWheelZoom: false });
    map.setView([54.5, -3.0], 5);  // the UK, until the markers are in
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, { maxZoom: 18, attribution: element.dataset.attribution || "" }).addTo(map);
    }
    return map;
  }

  var single = document.getElementById("group-map");
  if (single) {
    var home = [Number(single.dataset.lat), Number(single.dataset.lon)];
    var small = base(single);
    L.marker(home, { title: single.dataset.label, alt: single.dataset.label, keyboard: false }).addTo(small);
    small.setView(home, 11);
    single.dataset.markers = "1";
  }

  var element = document.getElementById("groups-map");
  if (!element) { return; }
  var map = base(element);
  var items = {};  // slug -> list item
  Array.prototype.forEach.call(document.querySelectorAll("#group-list > li[data-slug]"), function (item) {
    items[item.dataset.slug] = item;
  });

  function popup(slug) {
    var item = items[slug], box = document.createElement("div");
    box.className = "popup";
    if (!item) { return box; }
    var name = item.querySelector(".group-name a"), where = item.querySelector(".group-home");
    var title = document.createElement("h3"), link = document.createElement("a");
    link.href = name.getAttribute("href");
    link.textContent = name.textContent;
    title.appendChild(link);
    box.appendChild(title);
    if (where && where.textContent.trim()) {
      var line = document.createElement("p");
      line.textContent = where.textContent.trim();
      box.appendChild(line);
    }
    return box;
  }

  function select(slug, on) {
    var item = items[slug];
    if (!item) { return; }
    item.classList.toggle("selected", on);
    if (on) { item.setAttribute("aria-current", "true"); } else { item.removeAttribute("aria-current"); }
  }

  fetch(element.dataset.geojson)
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    })
    .then(function (data) {
      var bounds = L.latLngBounds([]), count = 0;
      data.features.forEach(function (feature) {
        var c = feature.geometry.coordinates, slug = feature.id;
        var marker = L.marker([c[1], c[0]], { title: feature.properties.name, alt: feature.properties.name });
        marker.bindPopup(function () { return popup(slug); }, { maxWidth: 260 });
        marker.on("popupopen", function () { select(slug, true); });
        marker.on("popupclose", function () { select(slug, false); });
        marker.addTo(map);
        bounds.extend(marker.getLatLng());
        count += 1;
      });
      var options = element.dataset;
      if (options.nearLat) {  // a near-me search: the searched place and its radius
        var centre = [Number(options.nearLat), Number(options.nearLon)];
        L.circleMarker(centre, { radius: 7, weight: 3, color: "#fff", fillColor: "#0b5cad", fillOpacity: 1,
                                 interactive: false, className: "near-origin" }).addTo(map);
        var circle = L.circle(centre, { radius: Number(options.nearKm) * 1000, interactive: false, fill: false,
                                        dashArray: "6 6", weight: 2, className: "near-circle" }).addTo(map);
        bounds.extend(circle.getBounds());
      }
      if (bounds.isValid()) { map.fitBounds(bounds, { padding: [30, 30], maxZoom: 12, animate: false }); }
      element.dataset.markers = String(count);
      element.dispatchEvent(new CustomEvent("hub:loaded", { detail: count }));
    })
    .catch(function () {
      element.dataset.markers = "error";
      var problem = document.createElement("p");
      problem.className = "problem";
      problem.textContent = element.dataset.error || "";
      element.parentNode.insertBefore(problem, element);
    });
}());
