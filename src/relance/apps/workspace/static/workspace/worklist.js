// The approval table: select all, and keyboard shortcuts (j/k move, x select, o preview,
// a approve, s skip, Shift+A approve the selection). Without JavaScript every button works.
(function () {
  "use strict";
  var form = document.getElementById("approval-form");
  if (!form) { return; }
  var all = document.getElementById("select-all");
  function picks() { return Array.prototype.slice.call(form.querySelectorAll("input.pick")); }
  if (all) {
    all.addEventListener("change", function () {
      picks().forEach(function (box) { box.checked = all.checked; });
    });
  }
  function rows() {
    return Array.prototype.slice.call(form.querySelectorAll("tbody.approval:not(.decided)"));
  }
  var current = -1;
  function focusRow(n) {
    var list = rows();
    if (!list.length) { return; }
    current = Math.max(0, Math.min(n, list.length - 1));
    list.forEach(function (row, i) { row.classList.toggle("current", i === current); });
    var link = list[current].querySelector("th a");
    if (link) { link.focus(); }
  }
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && (target.tagName === "INPUT" && target.type !== "checkbox" ||
        target.tagName === "TEXTAREA" || target.tagName === "SELECT")) { return; }
    var list = rows();
    var row = list[current];
    var key = event.key;
    function press(scope, selector) {
      var found = scope && scope.querySelector(selector);
      if (found) { found.click(); }
    }
    if (key === "j") { focusRow(current + 1); }
    else if (key === "k") { focusRow(current - 1); }
    else if (key === "A") { press(document, "#bulk-approve"); }
    else if (!row) { return; }
    else if (key === "x") { press(row, "input.pick"); }
    else if (key === "o") { press(row, "a.preview-open"); }
    else if (key === "a") { press(row, "button.approve-one"); }
    else if (key === "s") { press(row, "button.skip-one"); }
    else { return; }
    event.preventDefault();
  });
})();
