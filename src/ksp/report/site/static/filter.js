// Client-side filter for the site's tables. Without JavaScript the forms stay hidden and every
// row is shown; nothing on the site depends on this script.
"use strict";

(function () {
  function setup(form) {
    var table = document.getElementById(form.getAttribute("data-filter-for"));
    if (!table || !table.tBodies.length) {
      return;
    }
    var rows = Array.prototype.slice.call(table.tBodies[0].rows);
    var query = form.elements.q;
    var status = form.elements.status;
    var count = form.querySelector(".count");

    function apply() {
      var words = query.value.toLowerCase().split(/\s+/).filter(Boolean);
      var wanted = status.value;
      var shown = 0;
      rows.forEach(function (row) {
        var text = row.textContent.toLowerCase();
        var statuses = (row.getAttribute("data-statuses") || "").split(/\s+/);
        var match = words.every(function (w) { return text.indexOf(w) !== -1; }) &&
          (!wanted || statuses.indexOf(wanted) !== -1);
        row.hidden = !match;
        if (match) {
          shown += 1;
        }
      });
      count.textContent = shown + " of " + rows.length + " shown";
    }

    form.addEventListener("submit", function (event) { event.preventDefault(); });
    query.addEventListener("input", apply);
    status.addEventListener("change", apply);
    form.hidden = false;
    apply();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-filter-for]").forEach(setup);
  });
})();
