// Wide outputs scroll inside their own box (custom.css). pydata-sphinx-theme makes a scrolling
// `.cell_output > .output` keyboard-focusable; a glued output ({glue} in Markdown) is a
// div.output outside any div.cell_output, so it is done here the same way (WCAG 2.1.1;
// axe-core rule scrollable-region-focusable). A result table scrolls in its own
// div.ldil2-scroll (ldil2.present.tables), which is done the same way; so is a figure, whose
// image keeps its drawn size on a phone.
(function () {
  function update() {
    document.querySelectorAll(".bd-article div.output, .bd-article .ldil2-scroll, .bd-article figure").forEach(function (box) {
      box.tabIndex = box.scrollWidth > box.clientWidth ? 0 : -1;
    });
  }
  document.addEventListener("DOMContentLoaded", update);
  window.addEventListener("resize", update);
})();
