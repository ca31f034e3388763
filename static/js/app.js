// Small behaviours shared by every page. No inline scripts: pages mark elements
// with data- attributes and this file gives them their behaviour.
(function () {
  "use strict";
  // <form data-confirm="…">: ask before an irreversible change is sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  }, true);
})();
