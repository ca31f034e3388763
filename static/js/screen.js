/* The big screen: keeps each division's ranking live, and scrolls long lists.
 *
 * Everything comes from data- attributes of #screen (no inline script). Every
 * data-refresh-seconds the page asks data-url for the standings (live, or the
 * frozen snapshot) and redraws the tables that changed. When the screen is frozen
 * or unfrozen elsewhere, or the scores are locked, the page reloads so that its
 * heading and controls fit. Lists taller than the screen scroll slowly down,
 * pause at the end and start again from the top.
 */
(function () {
  "use strict";

  var LIVE_POLL_MS = 60000;

  var root = document.getElementById("screen");
  if (!root) { return; }

  var data = root.dataset;
  var everyMs = Math.max(parseInt(data.refreshSeconds, 10) || 5, 2) * 1000;
  var statusLine = root.querySelector("[data-refresh-status]");
  var locked = !root.querySelector("[data-anonymous-label]") ||
    root.querySelector("[data-anonymous-label]").hidden;
  var drawn = {};
  var busy = false;

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.className = className;
    td.textContent = text === null || text === undefined ? "" : String(text);
    row.appendChild(td);
  }

  function drawDivision(section, division) {
    var key = JSON.stringify(division.rows);
    if (drawn[division.id] === key) { return; }
    drawn[division.id] = key;
    var body = section.querySelector("tbody");
    var rows = document.createDocumentFragment();
    division.rows.forEach(function (line) {
      var tr = document.createElement("tr");
      if (line.award) { tr.className = "award-" + line.award; }
      cell(tr, line.rank, "rank");
      cell(tr, line.name, locked ? "name" : "name code");
      cell(tr, line.work_unit, "unit");
      cell(tr, line.total, "num");
      cell(tr, line.award_label, "award");
      rows.appendChild(tr);
    });
    if (!division.rows.length) {
      var empty = document.createElement("tr");
      var td = document.createElement("td");
      td.colSpan = 5;
      td.className = "empty";
      td.textContent = data.msgEmpty;
      empty.appendChild(td);
      rows.appendChild(empty);
    }
    body.textContent = "";
    body.appendChild(rows);
  }

  function apply(answer) {
    var sections = root.querySelectorAll("[data-division]");
    var same = sections.length === answer.divisions.length;
    if ((answer.frozen ? "yes" : "no") !== data.frozen || answer.locked !== locked || !same) {
      window.location.reload();
      return;
    }
    answer.divisions.forEach(function (division) {
      var section = root.querySelector('[data-division="' + division.id + '"]');
      if (section) { drawDivision(section, division); }
    });
    if (statusLine) {
      statusLine.textContent = answer.refreshed_at;
      statusLine.classList.remove("offline");
    }
  }

  var again = false;  // a change came while a refresh was on its way
  var lastRefresh = Date.now();

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    lastRefresh = Date.now();
    fetch(data.url, { credentials: "same-origin", headers: { "Accept": "application/json" },
                      cache: "no-store" })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (!response.ok || type.indexOf("application/json") === -1) {
          throw new Error("refresh refused: " + response.status);
        }
        return response.json();
      })
      .then(apply, function () {
        if (statusLine) {
          statusLine.textContent = data.msgOffline;
          statusLine.classList.add("offline");
        }
      })
      .then(done, done);
  }

  function done() {
    busy = false;
    if (again) { again = false; refresh(); }
  }

  // Told at once of every change by the server's stream (live.js); polling stays as
  // the fallback, and only now and then while the stream is open.
  var live = window.followLive ? window.followLive(data.streamUrl, refresh)
                               : { isOn: function () { return false; } };
  window.setInterval(function () {
    if (document.hidden) { return; }
    if (live.isOn() && Date.now() - lastRefresh < LIVE_POLL_MS) { return; }
    refresh();
  }, everyMs);
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { refresh(); }
  });

  // --- Scrolling long lists ----------------------------------------------------------
  var PAUSE_MS = 4000;
  var PIXELS_PER_SECOND = 40;
  var scrollers = Array.prototype.map.call(
    root.querySelectorAll(".screen-scroll"),
    function (element) { return { element: element, position: 0, waitUntil: 0 }; });
  var last = null;

  function step(now) {
    var elapsed = last === null ? 0 : Math.min(now - last, 100);
    last = now;
    scrollers.forEach(function (scroller) {
      var element = scroller.element;
      var room = element.scrollHeight - element.clientHeight;
      if (room <= 2 || now < scroller.waitUntil) { return; }
      if (scroller.position >= room) {
        // At the end: back to the top, and rest there before the next pass.
        scroller.position = 0;
        element.scrollTop = 0;
        scroller.waitUntil = now + PAUSE_MS;
        return;
      }
      scroller.position = Math.min(room, scroller.position + PIXELS_PER_SECOND * elapsed / 1000);
      element.scrollTop = scroller.position;
      if (scroller.position >= room) { scroller.waitUntil = now + PAUSE_MS; }
    });
    window.requestAnimationFrame(step);
  }

  scrollers.forEach(function (scroller) { scroller.waitUntil = performance.now() + PAUSE_MS; });
  window.requestAnimationFrame(step);
})();
