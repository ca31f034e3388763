/* The chief judge's console: keeps the matrix live, and reopens a sheet from a dialog.
 *
 * Everything comes from data- attributes of #console (no inline script). Every
 * data-refresh-seconds the page asks data-url for the state of each cell (by
 * "entry-module-judge" key) and the counts and flags, already rendered as HTML by
 * the server's own templates. Without JavaScript the page still works: each
 * submitted cell links to a page with the reopen form.
 */
(function () {
  "use strict";

  var LIVE_POLL_MS = 60000;

  var root = document.getElementById("console");
  if (!root) { return; }

  var data = root.dataset;
  var SYMBOLS = { not_started: "·", draft: "✎", submitted: "✓", recused: "⊘" };
  var LABELS = {
    not_started: data.labelNotStarted, draft: data.labelDraft,
    submitted: data.labelSubmitted, recused: data.labelRecused
  };
  var everyMs = Math.max(parseInt(data.refreshSeconds, 10) || 10, 2) * 1000;
  var canReopen = data.canReopen === "yes";
  var statusLine = root.querySelector("[data-refresh-status]");
  var busy = false;

  function reopenUrl(sheetId) {
    return data.reopenUrl.replace(/\/sheets\/0\/reopen$/, "/sheets/" + sheetId + "/reopen");
  }

  function columnLabel(key) {
    var parts = key.split("-");
    var head = root.querySelector('th[data-col="' + parts[1] + "-" + parts[2] + '"]');
    return head ? head.getAttribute("data-label") : "";
  }

  function fillCell(td, cell) {
    var state = cell.state;
    td.setAttribute("data-state", state);
    td.className = "cell st-" + state + (cell.flag ? " fl-" + cell.flag : "");
    td.title = LABELS[state] || state;
    td.textContent = "";
    var hidden = document.createElement("span");
    hidden.className = "sr";
    hidden.textContent = " " + (LABELS[state] || state);
    if (state === "submitted" && canReopen && cell.sheet) {
      var link = document.createElement("a");
      link.className = "reopen-link";
      link.href = reopenUrl(cell.sheet);
      link.textContent = SYMBOLS[state];
      link.appendChild(hidden);
      td.appendChild(link);
    } else {
      var symbol = document.createElement("span");
      symbol.setAttribute("aria-hidden", "true");
      symbol.textContent = SYMBOLS[state] || "";
      td.appendChild(symbol);
      td.appendChild(hidden);
    }
  }

  function apply(answer) {
    if ((answer.locked ? "yes" : "no") !== data.locked) {
      // Locked (or unlocked) elsewhere: the actions on this page no longer fit.
      window.location.reload();
      return;
    }
    Object.keys(answer.cells).forEach(function (key) {
      var td = root.querySelector('td[data-cell="' + key + '"]');
      if (td) {
        var cell = answer.cells[key];
        var same = td.getAttribute("data-state") === cell.state &&
          td.classList.contains("fl-spread") === (cell.flag === "spread") &&
          td.classList.contains("fl-outlier") === (cell.flag === "outlier");
        if (!same) { fillCell(td, cell); }
      }
    });
    ["submitted", "expected", "missing", "blocking"].forEach(function (name) {
      var node = root.querySelector('[data-figure="' + name + '"]');
      if (node) { node.textContent = String(answer[name]); }
    });
    Object.keys(answer.html || {}).forEach(function (name) {
      var panel = root.querySelector('[data-panel="' + name + '"]');
      if (panel) { panel.innerHTML = answer.html[name]; }
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

  var refreshButton = root.querySelector("[data-refresh-now]");
  if (refreshButton) { refreshButton.addEventListener("click", refresh); }
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

  // --- Reopening a sheet: a dialog instead of a page -----------------------------
  var dialog = document.querySelector("[data-reopen-dialog]");
  if (!dialog || typeof dialog.showModal !== "function") { return; }
  var form = dialog.querySelector("[data-reopen-form]");
  var what = dialog.querySelector("[data-reopen-what]");
  var reason = form.querySelector("textarea[name=reason]");

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.reopen-link");
    if (!link) { return; }
    event.preventDefault();
    var td = link.closest("td[data-cell]");
    var label = link.getAttribute("data-reopen-label");
    if (!label && td) {
      var row = td.closest("tr");
      label = (row ? row.getAttribute("data-entry") : "") + " · " +
        columnLabel(td.getAttribute("data-cell"));
    }
    form.action = link.href;
    what.textContent = label || "";
    reason.value = "";
    dialog.showModal();
    reason.focus();
  });
  dialog.querySelector("[data-reopen-cancel]").addEventListener("click", function () {
    dialog.close();
  });
})();
