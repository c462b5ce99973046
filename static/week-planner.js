// The week planner's live preview: as the organiser types, ask the hub which events the week would take.
// Without this script the form's "Preview without saving" button shows the same preview.
(function () {
  "use strict";
  var form = document.getElementById("week-form");
  var target = document.getElementById("preview");
  if (!form || !target || !window.fetch) { return; }
  var timer = null;
  var asked = 0;

  function refresh() {
    var mine = ++asked;
    var data = new FormData(form);
    data.delete("save");
    data.delete("preview");
    target.setAttribute("aria-busy", "true");
    fetch(form.dataset.preview, { method: "POST", body: data, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (mine !== asked || html === null) { return; }  // a later answer is on its way, or this one failed
        target.innerHTML = html;  // the hub's own template, with every event field escaped
      })
      .catch(function () { /* the button still works */ })
      .finally(function () { if (mine === asked) { target.removeAttribute("aria-busy"); } });
  }

  function soon() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 350);
  }

  form.addEventListener("input", soon);
  form.addEventListener("change", soon);
})();
