/* Customer pages: bulk selection on the list, inline rows (contacts, departments) on the form. */
(function () {
  "use strict";

  function updateBulk(form) {
    var boxes = form.querySelectorAll("[data-row-select]");
    var checked = form.querySelectorAll("[data-row-select]:checked").length;
    form.querySelectorAll("[data-bulk-button]").forEach(function (b) { b.disabled = checked === 0; });
    var label = form.querySelector("[data-bulk-count]");
    if (label && checked) label.textContent = label.getAttribute("data-template").replace("%(count)s", checked);
    var all = form.querySelector("[data-select-all]");
    if (all) {
      all.checked = checked > 0 && checked === boxes.length;
      all.indeterminate = checked > 0 && checked < boxes.length;
    }
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("#bulk-form");
    if (!form) return;
    if (event.target.matches("[data-select-all]")) {
      form.querySelectorAll("[data-row-select]").forEach(function (b) { b.checked = event.target.checked; });
    }
    updateBulk(form);
  });

  // Inline formsets: <template data-empty-row="prefix"> holds the empty form with __prefix__.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) return;
    event.preventDefault();
    var prefix = button.getAttribute("data-add-row");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var tpl = document.querySelector("template[data-empty-row='" + prefix + "']");
    var target = document.querySelector("[data-rows='" + prefix + "']");
    if (!total || !tpl || !target) return;
    var index = parseInt(total.value, 10) || 0;
    var html = tpl.innerHTML.replace(/__prefix__/g, String(index)).replace(/__number__/g, String(index + 1));
    target.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var added = target.lastElementChild;
    if (added) {
      if (window.htmx) window.htmx.process(added);
      var first = added.querySelector("input:not([type=hidden]), textarea, select");
      if (first) first.focus();
    }
  });

  // Datalist of department names for the contacts' department input, kept in step with the
  // department rows typed on the page.
  document.addEventListener("input", function (event) {
    if (!event.target.matches("[data-department-name]")) return;
    var list = document.getElementById("department-names");
    if (!list) return;
    var names = {};
    document.querySelectorAll("[data-department-name]").forEach(function (i) { if (i.value.trim()) names[i.value.trim()] = true; });
    list.innerHTML = "";
    Object.keys(names).forEach(function (n) {
      var o = document.createElement("option");
      o.value = n;
      list.appendChild(o);
    });
  });
})();
