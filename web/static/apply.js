// The application picker (cases/_apply.html): filter the programs by title, and show only the form
// fields the ticked programs read (each checkbox's data-needs). A field with a value, or one every
// case needs (data-always), stays shown; with nothing ticked, every field shows (a screening).
(function () {
  "use strict";
  var root = document.querySelector("[data-apply]");
  if (!root) return;
  var boxes = Array.prototype.slice.call(root.querySelectorAll('input[name="applied_for"]'));
  var search = root.querySelector("[data-apply-search]");
  var none = document.getElementById("apply-none");
  var status = document.getElementById("apply-status");
  var form = root.closest("form");

  function filled(el) {
    return Array.prototype.some.call(el.querySelectorAll("input, select"), function (i) {
      if (i.type === "radio" || i.type === "checkbox") return i.checked && i.value !== "";
      return i.value !== "";
    });
  }

  function fields() {
    var needed = null;
    boxes.forEach(function (b) {
      if (!b.checked) return;
      needed = needed || {};
      b.getAttribute("data-needs").split(" ").forEach(function (name) { if (name) needed[name] = true; });
    });
    var shown = 0;
    form.querySelectorAll(".fact[data-fact]").forEach(function (el) {
      var keep = needed === null || el.hasAttribute("data-always") || needed[el.getAttribute("data-fact")] || filled(el);
      el.hidden = !keep;
      if (keep) shown += 1;
    });
    form.querySelectorAll(".group").forEach(function (group) {
      var facts = group.querySelectorAll(".fact");
      if (!facts.length) return;
      group.hidden = Array.prototype.every.call(facts, function (f) { return f.hidden; });
      if (needed && !group.hidden && group.tagName === "DETAILS") group.open = true;
    });
    form.querySelectorAll(".form-section:not([data-apply])").forEach(function (section) {
      var groups = section.querySelectorAll(".group");
      section.hidden = groups.length > 0 && Array.prototype.every.call(groups, function (g) { return g.hidden; });
    });
    if (status) {
      status.textContent = needed === null ? "" : root.getAttribute("data-msg-shown").replace("{n}", String(shown));
    }
  }

  function filter() {
    var words = search.value.trim().toLowerCase();
    var any = false;
    root.querySelectorAll("fieldset.apply-unit").forEach(function (unit) {
      var visible = 0;
      unit.querySelectorAll("label.offer").forEach(function (label) {
        var match = !words || label.textContent.toLowerCase().indexOf(words) !== -1;
        label.hidden = !match;
        if (match) visible += 1;
      });
      unit.hidden = visible === 0;
      if (visible) any = true;
    });
    if (none) none.hidden = any;
  }

  boxes.forEach(function (b) { b.addEventListener("change", fields); });
  if (search) {
    search.addEventListener("input", filter);
    search.addEventListener("keydown", function (e) { if (e.key === "Enter") e.preventDefault(); });
  }
  fields();
})();
