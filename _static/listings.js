// Searchable, sortable participant listings (ldil2.present.listings, class "ldil2-listing").
// No library, no network: a search box above each listing keeps the rows that contain the text
// (case-insensitive); each column heading is a button that sorts by that column (numbers as
// numbers, per the heading's data-type), ascending then descending, with aria-sort set.
(function () {
  "use strict";

  function cellText(row, index) {
    var cell = row.cells[index];
    return cell ? cell.textContent.trim() : "";
  }

  function compare(a, b, numeric) {
    if (numeric) {
      var x = a === "" ? Infinity : Number(a);
      var y = b === "" ? Infinity : Number(b);
      return x - y;
    }
    return a.localeCompare(b, undefined, { numeric: true, sensitivity: "base" });
  }

  function sortBy(table, index, header) {
    var body = table.tBodies[0];
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var numeric = header.getAttribute("data-type") === "number";
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.dataset.order = row.dataset.order || String(i); });
    rows.sort(function (r, s) {
      var result = compare(cellText(r, index), cellText(s, index), numeric);
      if (result === 0) { result = Number(r.dataset.order) - Number(s.dataset.order); }
      return ascending ? result : -result;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("thead th").forEach(function (th) { th.removeAttribute("aria-sort"); });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function filter(table, text, status) {
    var needle = text.trim().toLowerCase();
    var shown = 0;
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      var match = needle === "" || row.textContent.toLowerCase().indexOf(needle) !== -1;
      row.hidden = !match;
      if (match) { shown += 1; }
    });
    status.textContent = shown + " of " + table.tBodies[0].rows.length + " rows shown";
  }

  function enhance(table, number) {
    var id = "ldil2-listing-search-" + number;
    var box = document.createElement("div");
    box.className = "ldil2-listing-search";
    var label = document.createElement("label");
    label.htmlFor = id;
    label.textContent = "Search this listing: ";
    var input = document.createElement("input");
    input.type = "search";
    input.id = id;
    var status = document.createElement("span");
    status.setAttribute("role", "status");
    status.className = "ldil2-listing-status";
    box.appendChild(label);
    box.appendChild(input);
    box.appendChild(status);
    table.parentNode.insertBefore(box, table);
    input.addEventListener("input", function () { filter(table, input.value, status); });
    filter(table, "", status);
    table.querySelectorAll("thead th").forEach(function (th, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ldil2-sort";
      button.textContent = th.textContent;
      button.title = "Sort by " + th.textContent;
      th.textContent = "";
      th.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, index, th); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.ldil2-listing").forEach(enhance);
  });
})();
