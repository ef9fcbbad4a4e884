// Show a form field only when a select has one of the listed values:
// <label data-show-if="id_kind=rectification"> … </label>. Without script every
// field stays visible and the server checks what applies.
(function () {
  "use strict";

  function apply() {
    document.querySelectorAll("[data-show-if]").forEach(function (element) {
      var rule = element.getAttribute("data-show-if").split("=");
      var source = document.getElementById(rule[0]);
      if (!source) {
        return;
      }
      element.hidden = rule[1].split(",").indexOf(source.value) === -1;
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("select")) {
      apply();
    }
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", apply);
  } else {
    apply();
  }
})();
