/* Guanxi page behaviour: small and dependency-free (htmx, Tabler and Tom Select are loaded
   before this file). */
(function () {
  "use strict";

  // htmx: send the CSRF token with every request (base.html puts it in hx-headers on <body>;
  // this also covers fragments swapped into pages that lack it).
  document.addEventListener("htmx:configRequest", function (event) {
    var headers = document.body.getAttribute("hx-headers");
    if (!headers || event.detail.headers["X-CSRFToken"]) return;
    try {
      var token = JSON.parse(headers)["X-CSRFToken"];
      if (token) event.detail.headers["X-CSRFToken"] = token;
    } catch (e) { /* malformed attribute: leave the request as it is */ }
  });

  // Confirmation before destructive actions: data-confirm="Question?" on a button, link or
  // form. htmx requests use hx-confirm instead.
  document.addEventListener("click", function (event) {
    var el = event.target.closest("[data-confirm]");
    if (!el || el.tagName === "FORM") return;
    if (!window.confirm(el.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute && form.hasAttribute("data-confirm") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  }, true);

  // Header quick search: Escape or a click elsewhere closes the drop-down of matches.
  function closeQuickResults() {
    var box = document.getElementById("quick-search-results");
    if (box) box.innerHTML = "";
  }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeQuickResults();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("#quick-search")) closeQuickResults();
  });

  // Searchable selects: <select data-tom-select> (also inside htmx-swapped fragments).
  function initSelects(root) {
    if (typeof window.TomSelect === "undefined") return;
    root.querySelectorAll("select[data-tom-select]").forEach(function (select) {
      if (select.tomselect) return;
      var options = { allowEmptyOption: true, maxOptions: 500 };
      if (select.multiple) options.plugins = ["remove_button"];
      var remote = select.getAttribute("data-remote");
      if (remote) {
        // Options come from a JSON lookup as the user types (core.widgets.RemoteSelect).
        options.valueField = "value";
        options.labelField = "text";
        options.searchField = ["text"];
        options.preload = "focus";
        options.load = function (query, callback) {
          fetch(remote + "?q=" + encodeURIComponent(query), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.json() : { results: [] }; })
            .then(function (data) { callback(data.results || []); })
            .catch(function () { callback(); });
        };
      }
      new window.TomSelect(select, options);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { initSelects(document); });
  document.addEventListener("htmx:load", function (event) { initSelects(event.detail.elt); });
})();
