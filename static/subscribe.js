// The Subscribe box's copy button: copies the calendar address shown beside it.  Without this script (or
// without the Clipboard API) the button stays hidden and the address is plain text, selectable as any other.
// Its words come from the status line's data-copied and data-failed, in the page's language.
(function () {
  "use strict";
  if (!navigator.clipboard || !window.isSecureContext) { return; }
  Array.prototype.forEach.call(document.querySelectorAll("button.copy[data-copy]"), function (button) {
    var source = document.getElementById(button.dataset.copy);
    var status = button.parentNode.querySelector(".copied");
    if (!source) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(source.textContent.trim()).then(function () {
        if (status) { status.textContent = status.dataset.copied || "Copied"; }
      }, function () {
        if (status) { status.textContent = status.dataset.failed || "Could not copy: select the address and copy it"; }
      });
    });
  });
}());
