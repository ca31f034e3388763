// The charts of the bureau's statistics page (templates/bureau/dashboard.html), drawn by
// Chart.js (static/vendor/chartjs) from the numbers each <canvas data-chart> carries: the
// same as the table beside it, which stays the page's text for screen readers and for a
// browser without JavaScript. A change of a filter shows the figures it asks for.
(function () {
  "use strict";
  var PALETTE = ["#b3261e", "#1f6feb", "#1a7f37", "#9a6700", "#8250df", "#57606a",
                 "#cf222e", "#0969da"];

  function color(index) {
    return PALETTE[index % PALETTE.length];
  }

  function draw(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    var stacked = spec.type === "stacked";
    var type = stacked ? "bar" : spec.type;
    var round = type === "doughnut";
    var datasets = spec.series.map(function (series, index) {
      return {
        label: series.label,
        data: series.values,
        backgroundColor: round ? spec.labels.map(function (_, i) { return color(i); })
                               : color(index),
        borderWidth: round ? 1 : 0,
        maxBarThickness: 80
      };
    });
    var options = {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      plugins: {legend: {display: round || spec.series.length > 1, position: "bottom"}}
    };
    if (!round) {
      options.scales = {
        x: {stacked: stacked},
        y: {stacked: stacked, beginAtZero: true, ticks: {precision: 0}}
      };
    }
    new window.Chart(canvas, {type: type, data: {labels: spec.labels, datasets: datasets},
                              options: options});
    canvas.setAttribute("data-drawn", "true");
  }

  function start() {
    if (window.Chart) {
      // The page's own font and ink, so Chinese labels read as well as the tables.
      var body = window.getComputedStyle(document.body);
      window.Chart.defaults.font.family = body.fontFamily;
      window.Chart.defaults.font.size = 13;
      window.Chart.defaults.color = body.color;
      Array.prototype.forEach.call(document.querySelectorAll("canvas[data-chart]"), draw);
    }
    var form = document.querySelector("form[data-autosubmit]");
    if (form) {
      form.addEventListener("change", function () { form.submit(); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
