/* The event map: the page's placed events as clustered markers, tied one for one to the list of the same events.
 *
 * The markers come from the map's compact data (`data-points`, /api/map.json: the GeoJSON's features in its
 * order, as rows of MAP_FIELDS, see calendar_hub/publish/api.py).  The page renders the list a page at a time
 * (#map-list, one item per placed event, `data-uid` = the event's uid); this script adds the markers, shows each
 * item's "Show on map" button and, when a popup opens, marks its item.  Once the markers of the first view are
 * drawn and the list's buttons work, it stamps `performance.now()` on <html data-map-ready> (benchmarks/map.py).
 * Feed text is untrusted: popups are built from DOM nodes and textContent, never from markup.
 */
(function () {
  "use strict";
  var element = document.getElementById("map");
  if (!element || !window.L) { return; }
  var options = element.dataset;
  var zone = options.zone || "Europe/London";
  var newTab = options.linkTarget === "_blank";
  var list = document.getElementById("map-list");
  var markers = {};  // uid -> marker
  var items = {};  // uid -> list item
  var selected = null;
  var returnTo = null;  // the button that opened the popup, to go back to from it

  if (list) {
    Array.prototype.forEach.call(list.children, function (item) { items[item.dataset.uid] = item; });
  }

  var map = L.map(element, { maxZoom: 18, scrollWheelZoom: false });
  map.setView([54.5, -3.0], 5);  // the UK, until the events are in
  if (options.tiles) {
    L.tileLayer(options.tiles, { maxZoom: 18, attribution: options.attribution || "" }).addTo(map);
  }
  // chunkedLoading: 10,000 markers go in slices with pauses between them, so the page never freezes.
  var cluster = L.markerClusterGroup({ chunkedLoading: true, chunkProgress: progress, showCoverageOnHover: false,
                                       iconCreateFunction: clusterIcon });
  var plainIcon = new L.Icon.Default();
  var approximateIcon = new L.Icon.Default({ className: "approximate" });  // paler: see hub.css

  function clusterIcon(group) {
    var count = group.getChildCount();
    var size = count < 10 ? "small" : count < 100 ? "medium" : "large";
    var inner = document.createElement("div");
    var number = text("span", String(count));
    number.appendChild(text("span", " events here: zoom in", "visually-hidden"));
    inner.appendChild(number);
    return L.divIcon({ html: inner, className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40) });
  }

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) { node.className = className; }
    return node;
  }

  function link(value, href, rel) {
    var node = text("a", value);
    node.href = href;
    node.rel = rel;
    if (newTab) { node.target = "_blank"; }
    return node;
  }

  /* The popups' words, in the page's language: the map's data-word-* attributes (templates/map.html), else English. */
  var words = {
    cancelled: options.wordCancelled || "Cancelled: ", by: options.wordBy || "By ", and: options.wordAnd || " and ",
    showInList: options.wordShowInList || "Show in the list", allDay: options.wordAllDay || "(all day)",
    approximate: options.wordApproximate || "(approximate place)",
    around: options.wordAround || "Map of the events listed, around the searched place: ",
    error: options.wordError || "The map could not load its events; the list has them all."
  };

  /* Times as the pages write them ("Saturday 5 December 2026, 10:00–12:00"; "Dydd Sadwrn 5 Rhagfyr 2026" on a
   * Welsh page), in the hub's zone: the names of days and months come from the browser, in the page's language. */
  var names = new Intl.DateTimeFormat(document.documentElement.lang || "en-GB",
                                      { timeZone: "UTC", weekday: "long", month: "long" });
  var clock = new Intl.DateTimeFormat("en-GB", { timeZone: zone, year: "numeric", month: "numeric",
                                                 day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });

  function local(instant) {
    var fields = {};
    clock.formatToParts(new Date(instant)).forEach(function (part) { fields[part.type] = part.value; });
    var y = Number(fields.year), m = Number(fields.month), d = Number(fields.day);
    return { y: y, m: m, d: d, key: y * 10000 + m * 100 + d, time: fields.hour + ":" + fields.minute };
  }

  function calendarDay(iso, shift) {  // "2026-12-05", moved by `shift` days
    var parts = iso.split("-").map(Number);
    var date = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2] + (shift || 0)));
    var y = date.getUTCFullYear(), m = date.getUTCMonth() + 1, d = date.getUTCDate();
    return { y: y, m: m, d: d, key: y * 10000 + m * 100 + d };
  }

  function day(t) {
    var fields = {};
    names.formatToParts(new Date(Date.UTC(t.y, t.m - 1, t.d))).forEach(function (part) { fields[part.type] = part.value; });
    return fields.weekday + " " + t.d + " " + fields.month;
  }

  function when(p) {
    if (p.all_day) {  // dates; the end is exclusive (RFC 5545 3.6.1)
      var start = calendarDay(p.start), last = calendarDay(p.end, -1);
      if (last.key <= start.key) { return day(start) + " " + start.y + " " + words.allDay; }
      return day(start) + " – " + day(last) + " " + last.y;
    }
    var from = local(p.start), to = local(p.end), words = day(from) + " " + from.y + ", " + from.time;
    if (p.end > p.start) { words += to.key === from.key ? "–" + to.time : " – " + day(to) + ", " + to.time; }
    return words;
  }

  function popup(marker) {
    var p = properties(marker.row);
    var box = document.createElement("div");
    box.className = "popup" + (p.place_precision === "approximate" ? " approximate" : "");
    var title = document.createElement("h3");
    title.tabIndex = -1;  // focused when the list's button opens the popup
    if (p.status === "CANCELLED") { title.appendChild(text("strong", words.cancelled, "badge")); }
    var linked = /^https?:\/\//i.test(p.event_url || "");  // the event's page on the hub; a popup checks anyway
    title.appendChild(linked ? link(p.title, p.event_url, newTab ? "noopener" : "") : document.createTextNode(p.title));
    box.appendChild(title);
    box.appendChild(text("p", when(p), "when"));
    if (p.location) { box.appendChild(text("p", p.location, "where")); }
    if (p.place_note) { box.appendChild(text("p", p.place_note, "placed")); }
    if (p.groups && p.groups.length) {
      var who = text("p", words.by, "who");
      p.groups.forEach(function (g, i) {
        if (i) { who.appendChild(document.createTextNode(i === p.groups.length - 1 ? words.and : ", ")); }
        who.appendChild(link(g.name, g.url, newTab ? "noopener" : ""));
      });
      box.appendChild(who);
    }
    if (items[marker.uid]) {
      var back = text("button", words.showInList, "show-in-list");
      back.type = "button";
      back.addEventListener("click", function () { showInList(marker.uid); });
      box.appendChild(back);
    }
    return box;
  }

  /* The list item of the open popup is marked (outline and aria-current), and scrolled to inside the list
   * when the list scrolls beside the map; on a phone, where it is below the map, the page stays put. */
  function select(uid) {
    if (selected) { selected.classList.remove("selected"); selected.removeAttribute("aria-current"); }
    selected = items[uid] || null;
    if (!selected) { return; }
    selected.classList.add("selected");
    selected.setAttribute("aria-current", "true");
    var pane = list.closest(".map-list");
    if (pane && pane.scrollHeight > pane.clientHeight && getComputedStyle(pane).overflowY !== "visible") {
      var top = selected.offsetTop - pane.offsetTop;
      if (top < pane.scrollTop || top + selected.offsetHeight > pane.scrollTop + pane.clientHeight) {
        pane.scrollTop = top - 8;
      }
    }
  }

  function showInList(uid) {
    var item = items[uid];
    if (!item) { return; }
    map.closePopup();
    select(uid);
    item.scrollIntoView({ block: "nearest" });
    var button = item.querySelector("button.show-on-map");
    (returnTo && item.contains(returnTo) ? returnTo : button).focus();
  }

  function showOnMap(uid, button) {
    var marker = markers[uid];
    if (!marker) { return; }
    returnTo = button;
    element.scrollIntoView({ block: "nearest" });
    cluster.zoomToShowLayer(marker, function () {
      marker.openPopup();
      var heading = marker.getPopup().getElement().querySelector("h3");
      if (heading) { heading.focus({ preventScroll: true }); }
    });
  }

  cluster.on("popupopen", function (event) { select(event.sourceTarget.uid); });
  cluster.on("popupclose", function (event) {
    if (selected === items[event.sourceTarget.uid]) {
      selected.classList.remove("selected");
      selected.removeAttribute("aria-current");
      selected = null;
    }
  });
  if (list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest("button.show-on-map");
      if (button) { showOnMap(button.closest("li").dataset.uid, button); }
    });
  }

  /* Once every marker is in, the list's buttons can find theirs. */
  var total = 0;
  function progress(processed, count) {
    if (processed === count) { setTimeout(ready, 0); }
  }

  function ready() {
    element.dataset.markers = String(total);
    if (list) {
      Array.prototype.forEach.call(list.querySelectorAll("button.show-on-map"), function (button) {
        if (markers[button.closest("li").dataset.uid]) { button.hidden = false; }
      });
    }
    element.dispatchEvent(new CustomEvent("hub:loaded", { detail: total }));
    document.documentElement.dataset.mapReady = String(Math.round(performance.now()));
  }

  // A near-me search: the searched place as a dot of its own (not an event marker, never clustered; the summary
  // above the map names it, and the map's label says it is there) and the radius.
  function origin() {
    if (!options.nearLat) { return null; }
    var centre = [Number(options.nearLat), Number(options.nearLon)];
    L.circleMarker(centre, { radius: 7, weight: 3, color: "#fff", fillColor: "#0b5cad", fillOpacity: 1,
                             interactive: false, className: "near-origin" }).addTo(map);
    element.setAttribute("aria-label", words.around +
                         (options.nearLabel || centre.join(", ")));
    return L.circle(centre, { radius: Number(options.nearKm) * 1000, interactive: false, fill: false,
                              dashArray: "6 6", weight: 2, className: "near-circle" }).addTo(map);
  }

  /* A row of the compact data as the popups read it (the GeoJSON's property names). */
  var field = {};
  var groupRows = [];
  function properties(row) {
    return { title: row[field.title], start: row[field.start], end: row[field.end], all_day: !!row[field.all_day],
             status: row[field.cancelled] ? "CANCELLED" : "", location: row[field.location],
             place_note: row[field.place_note], place_precision: row[field.approximate] ? "approximate" : "",
             event_url: new URL((options.eventPath || "/events/") + encodeURIComponent(row[field.id]),
                                location.href).href,
             groups: row[field.groups].map(function (g) {
               var group = groupRows[g];
               return { name: group[1], url: new URL((options.groupPath || "/groups/") +
                                                     encodeURIComponent(group[0]), location.href).href };
             }) };
  }

  fetch(options.points)  // as the page's <link rel=preload> asked for it, so that download is used
    .then(function (response) {
      if (!response.ok) { throw new Error(response.status); }
      return response.json();
    })
    .then(function (data) {
      data.fields.forEach(function (name, i) { field[name] = i; });
      groupRows = data.groups;
      var made = [];
      // On a phone the popup must fit beside the zoom buttons: narrower than the map, panned clear of them.
      var popupOptions = { maxWidth: Math.max(160, Math.min(300, element.clientWidth - 100)),
                           autoPanPaddingTopLeft: L.point(50, 10), autoPanPaddingBottomRight: L.point(10, 10) };
      var south = 90, west = 180, north = -90, east = -180;
      data.events.forEach(function (row) {
        var lat = row[field.lat], lon = row[field.lon], approximate = row[field.approximate];
        var label = row[field.title] + (approximate ? " " + words.approximate : "");
        var marker = L.marker([lat, lon], { title: label, alt: label, icon: approximate ? approximateIcon : plainIcon });
        marker.row = row;
        marker.uid = row[field.id];
        marker.bindPopup(popup, popupOptions);
        markers[marker.uid] = marker;
        south = Math.min(south, lat); north = Math.max(north, lat);
        west = Math.min(west, lon); east = Math.max(east, lon);
        made.push(marker);
      });
      total = made.length;
      var circle = origin();
      // Fit first, then cluster: clusters are worked out once, for the zoom the events need.
      if (made.length) {
        map.fitBounds([[south, west], [north, east]], { padding: [30, 30], maxZoom: 13, animate: false });
      } else if (circle) {
        map.fitBounds(circle.getBounds(), { animate: false });
      }
      map.addLayer(cluster);
      cluster.addLayers(made, true);  // no "layeradd" per marker: nothing listens
    })
    .catch(function () {
      element.dataset.markers = "error";
      element.parentNode.insertBefore(text("p", words.error, "problem"), element);
    });
}());
