// Show only the sections of the notice form that apply to the chosen kind.
// (CSSOM, not a style attribute: the page's CSP allows no inline styles.)
(function () {
  "use strict";
  var form = document.querySelector("[data-notice-form]");
  if (!form) { return; }
  var kind = form.querySelector("select[name=kind]");
  function update() {
    form.querySelectorAll("[data-kinds]").forEach(function (section) {
      var shown = section.getAttribute("data-kinds").split(" ").indexOf(kind.value) >= 0;
      section.hidden = !shown;
      section.style.display = shown ? "" : "none";
    });
  }
  kind.addEventListener("change", update);
  update();
})();
