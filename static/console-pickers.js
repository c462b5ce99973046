// Long lists of groups in the console: "Select all in <region>" ticks (or unticks) the region's groups, and a
// search box hides the groups whose names do not match.  Without this script the form works as it is: the
// "select all" box is sent with the form and the hub takes every group of that region.
(function () {
  "use strict";

  function boxes(region) {
    return Array.prototype.slice.call(region.querySelectorAll('input[name="groups"]'));
  }

  Array.prototype.forEach.call(document.querySelectorAll("[data-region]"), function (region) {
    var all = region.querySelector("[data-select-all]");
    if (!all) { return; }
    all.checked = boxes(region).length > 0 && boxes(region).every(function (b) { return b.checked; });
    all.addEventListener("change", function () {
      boxes(region).forEach(function (b) { b.checked = all.checked; });
    });
    region.addEventListener("change", function (event) {
      if (event.target !== all && event.target.name === "groups") {
        all.checked = boxes(region).every(function (b) { return b.checked; });
      }
    });
  });

  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter]"), function (search) {
    var list = document.getElementById(search.dataset.filter);
    if (!list) { return; }
    search.closest(".picker-search").hidden = false;
    search.addEventListener("input", function (event) {
      event.stopPropagation();  // finding a group changes nothing the week takes
      var wanted = search.value.trim().toLowerCase();
      Array.prototype.forEach.call(list.querySelectorAll("[data-region]"), function (region) {
        var shown = 0;
        Array.prototype.forEach.call(region.querySelectorAll("label[data-name]"), function (label) {
          var match = !wanted || label.dataset.name.indexOf(wanted) !== -1;
          label.hidden = !match;
          if (match) { shown += 1; }
        });
        region.hidden = shown === 0;
      });
    });
  });

  // A short name suggested from the name while it is typed, until the short name is typed by hand.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-slug-from]"), function (slug) {
    var name = document.getElementById(slug.dataset.slugFrom);
    if (!name) { return; }
    var byHand = slug.value !== "";
    slug.addEventListener("input", function () { byHand = slug.value !== ""; });
    name.addEventListener("input", function () {
      if (byHand) { return; }
      slug.value = name.value.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
        .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 100);
    });
  });
})();
