// The draw pages.
// - The record page: <button data-print> opens the browser's print dialog.
// - The draw page: <form data-redraw-messages='{"<scope>": "…"}'> asks for confirmation
//   only when the "draw again" box is ticked, saying for the chosen scope how many
//   stations and codes change; unticked, the draw changes nobody's, so nothing is asked.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target.closest && event.target.closest("[data-print]");
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var raw = form.getAttribute && form.getAttribute("data-redraw-messages");
    if (!raw) {
      return;
    }
    var redraw = form.querySelector("input[name=confirm_redraw]");
    if (!redraw || !redraw.checked) {
      return;
    }
    var scope = form.querySelector("select[name=division_id]");
    var messages = JSON.parse(raw);
    var question = messages[scope ? scope.value : "0"];
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });
})();
