/* The judge's app on the tablet: the service worker, what it keeps, and saying so.
 *
 * On every judge's page (#judge-app, templates/judging/_device.html): links the app's
 * manifest, registers the service worker (static/js/judge-sw.js, scope /judge) and shows
 * what the tablet keeps ("Kept on this tablet: 12 score sheets, updated at 09:41") and,
 * on a page shown from that copy, says so. On the list of entries opened online
 * (data-keep), asks the worker to keep the list, the sheet page of every entry and module
 * listed, the JSON of the sheets already opened and the offline page; #judge-app's
 * data-kept-state then says "keeping", "done", "partial" or "failed".
 *
 * The list kept may be older than what this tablet last heard from the server: each
 * tile shows the state of its sheet as static/js/sheet.js last saved it, and how many
 * changes are waiting to upload.
 */
(function () {
  "use strict";

  var root = document.getElementById("judge-app");
  if (!root) { return; }
  var data = root.dataset;
  var keptLine = root.querySelector("[data-device-kept]");
  var copyBanner = root.querySelector("[data-device-copy]");
  var ANSWER_WITHIN_MS = 120000;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  /* 09:41 today; with the date on another day. */
  function clock(iso) {
    var when = new Date(iso);
    if (isNaN(when.getTime())) { return ""; }
    var lang = document.documentElement.lang || undefined;
    var options = { hour: "2-digit", minute: "2-digit", hour12: false };
    if (when.toDateString() !== new Date().toDateString()) {
      options.month = "numeric";
      options.day = "numeric";
    }
    return new Intl.DateTimeFormat(lang, options).format(when);
  }

  function say(node, text) {
    node.textContent = text || "";
    node.hidden = !text;
  }

  function setState(state) { root.setAttribute("data-kept-state", state); }

  // --- The manifest and theme colour, in the head where browsers look for them -----------

  if (!document.head.querySelector("link[rel=manifest]")) {
    var link = document.createElement("link");
    link.rel = "manifest";
    link.href = data.manifestUrl;
    document.head.appendChild(link);
  }
  if (!document.head.querySelector("meta[name=theme-color]")) {
    var meta = document.createElement("meta");
    meta.name = "theme-color";
    meta.content = data.themeColour;
    document.head.appendChild(meta);
  }

  // --- Tiles: the state this tablet last heard, and what waits to upload ------------------

  function readStore(key) {
    try {
      return JSON.parse(window.localStorage.getItem(key) || "null");
    } catch (ignored) {
      return null;
    }
  }

  function showTiles() {
    root.ownerDocument.querySelectorAll("a.entry-tile[data-entry-id]").forEach(function (tile) {
      var d = tile.dataset;
      var store = readStore("judging.sheet." + data.userId + "." + d.entryId + "." +
                            d.moduleId + ".v2");
      var old = d.sheetId ? readStore("judging.sheet." + d.sheetId + ".v1") : null;
      var server = store && store.server;
      if (server && server.version > Number(d.version || 0) &&
          !(d.state === "review" && server.status === "draft")) {
        var label = root.getAttribute("data-label-" + server.status.replace(/_/g, "-"));
        var stateNode = tile.querySelector(".tile-state");
        tile.classList.remove("is-" + d.state);
        tile.classList.add("is-" + server.status);
        if (stateNode && label) {
          stateNode.className = "tile-state state-" + server.status;
          stateNode.textContent = label;
        }
        d.state = server.status;
      }
      var waiting = (store && store.items ? store.items.length : 0) +
        (old && old.items ? old.items.length : 0);
      var note = tile.querySelector(".tile-waiting");
      if (waiting) {
        if (!note) {
          note = document.createElement("span");
          note.className = "tile-waiting state-draft";
          tile.appendChild(note);
        }
        note.textContent = format(data.msgWaiting, { n: waiting });
      } else if (note) {
        note.remove();
      }
    });
  }

  showTiles();

  // --- The service worker ------------------------------------------------------------------

  if (!("serviceWorker" in navigator) || !window.caches || !window.isSecureContext) {
    setState("unsupported");
    say(keptLine, data.msgUnsupported);
    return;
  }

  /* Send the worker a message and wait for its answer. */
  function ask(worker, message) {
    return new Promise(function (resolve, reject) {
      var channel = new MessageChannel();
      var timer = window.setTimeout(function () { reject(new Error("no answer")); },
                                    ANSWER_WITHIN_MS);
      channel.port1.onmessage = function (event) {
        window.clearTimeout(timer);
        resolve(event.data || {});
      };
      worker.postMessage(message, [channel.port2]);
    });
  }

  function showKept(record) {
    if (!record) {
      say(keptLine, data.msgNothingKept);
      return;
    }
    var text = format(data.msgKept, { n: record.sheets, time: clock(record.filledAt) });
    if (record.failed) { text += " " + format(data.msgNotKept, { n: record.failed }); }
    root.setAttribute("data-kept-sheets", String(record.sheets));
    say(keptLine, text);
  }

  function showStatus(status) {
    if (status.copy) {
      root.setAttribute("data-copy", status.copy);
      say(copyBanner, format(data.msgCopy, { time: clock(status.copy) }));
    }
    if (status.kept && status.kept.user !== data.userId) { status.kept = null; }
    showKept(status.kept);
    return status;
  }

  /* What the list of entries asks the worker to keep. */
  function wanted() {
    var here = window.location.pathname + window.location.search;
    var pages = [{ url: here, always: true }, { url: data.offlineUrl }];
    if (here !== data.startUrl) { pages.push({ url: data.startUrl, always: true }); }
    var sheets = [];
    document.querySelectorAll("a.entry-tile[data-entry-id]").forEach(function (tile) {
      pages.push({ url: tile.getAttribute("href"), version: Number(tile.dataset.version || 0) });
      if (tile.dataset.sheetId) {
        sheets.push({ id: tile.dataset.sheetId, version: Number(tile.dataset.version || 0) });
      }
    });
    return { type: "keep", user: data.userId, lang: document.documentElement.lang || "",
             complete: !window.location.search, pages: pages, sheets: sheets };
  }

  function keep(worker) {
    setState("keeping");
    say(keptLine, data.msgKeeping);
    return ask(worker, wanted()).then(function (answer) {
      if (answer.type !== "kept") { throw new Error(answer.error || "not kept"); }
      showKept(answer.kept);
      setState(answer.kept.failed ? "partial" : "done");
    });
  }

  navigator.serviceWorker.register(data.workerUrl, { scope: data.scope })
    .then(function () { return navigator.serviceWorker.ready; })
    .then(function (registration) {
      var worker = navigator.serviceWorker.controller || registration.active;
      return ask(worker, { type: "status" }).then(showStatus).then(function (status) {
        if (!root.hasAttribute("data-keep")) {
          setState(status.kept ? "done" : "none");
          return null;
        }
        if (status.copy || navigator.onLine === false) {
          setState("offline");
          return null;
        }
        return keep(registration.active || worker);
      });
    })
    .catch(function () {
      setState("failed");
    });

  window.addEventListener("storage", showTiles);
  window.addEventListener("pageshow", function (event) { if (event.persisted) { showTiles(); } });
})();
