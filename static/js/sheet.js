/* The judge's score sheet on a tablet: autosave that never loses a mark (issue 5).
 *
 * Every change goes first into a queue kept in localStorage (one per sheet), with an
 * Idempotency-Key made before the first attempt; then it is sent to the JSON API. It leaves
 * the queue only when the server confirms it, so a reload, a dropped connection or a lost
 * answer never loses it, and a retry never writes it twice (the server answers a known key
 * with its first answer). Each change also says which value it was made over (`previous`:
 * the last value the server confirmed); when the server holds something else, it answers
 * with a conflict and the judge chooses — nothing is overwritten silently.
 *
 * Changes are sent one at a time, in order. Waiting changes are retried when the browser
 * comes back online and every few seconds. The server is the authority on points; the
 * points shown while typing follow the same rules (competition/judging/marks.py and
 * events/scheme.measured_points), computed exactly on scaled integers.
 *
 * The queue is kept by judge, entry and module (not by sheet id): a page kept on the tablet
 * for offline use (static/js/judge-app.js) may show a sheet not opened yet, without an id;
 * the first change then opens it through the API (GET /api/v1/judge/sheets?entry_id=&
 * module_id=), and the queue is sent to it. Queues an older version kept by sheet id
 * (judging.sheet.<id>.v1) are taken over, never dropped. With the queue, the sheet as the
 * server last confirmed it (`server`: id, status, version, marks): a kept copy of the page
 * older than that shows what this tablet last heard instead.
 *
 * All texts come from data- attributes of #sheet (no inline script: a Content-Security-
 * Policy may forbid them). window.judgingSheet exposes the state for tests.
 */
(function () {
  "use strict";

  var root = document.getElementById("sheet");
  if (!root) { return; }

  var data = root.dataset;
  var STORE_KEY = "judging.sheet." + data.userId + "." + data.entryId + "." + data.moduleId + ".v2";
  var KEPT_AT = "X-Judge-Kept-At";  // an answer the service worker gave from its copy
  var RETRY_EVERY_MS = 10000;
  var MAX_BACKOFF_MS = 30000;
  var TYPING_PAUSE_MS = 800;

  // --- Exact decimals: numbers as BigInt scaled by 10^4 ------------------------------------

  var PLACES = 4;
  var SCALE = BigInt(10000);
  var ZERO = BigInt(0);
  var NUMBER = /^(-)?(\d*)(?:\.(\d*))?$/;

  function parseDecimal(text) {
    var match = NUMBER.exec(String(text).trim());
    if (!match || (match[2] === "" && !match[3])) { return null; }
    var decimals = (match[3] || "").replace(/0+$/, "");
    var scaled = BigInt(match[2] || "0") * SCALE +
      BigInt(((match[3] || "") + "0000").slice(0, PLACES));
    return { scaled: match[1] ? -scaled : scaled, places: decimals.length,
             exact: decimals.length <= PLACES };
  }

  function scaledOf(text) {
    var number = text === null || text === undefined || text === "" ? null : parseDecimal(text);
    return number ? number.scaled : null;
  }

  function plain(scaled) {
    var negative = scaled < ZERO;
    var digits = (negative ? -scaled : scaled).toString().padStart(PLACES + 1, "0");
    var whole = digits.slice(0, -PLACES);
    var part = digits.slice(-PLACES).replace(/0+$/, "");
    return (negative ? "-" : "") + whole + (part ? "." + part : "");
  }

  function roundTo2(scaled) {
    var step = BigInt(100);
    var half = BigInt(50);
    var rounded = scaled >= ZERO ? (scaled + half) / step : -((-scaled + half) / step);
    return plain(rounded * step);
  }

  function sameValue(a, b) {
    if (a === null || a === undefined || a === "") { return b === null || b === undefined || b === ""; }
    if (b === null || b === undefined || b === "") { return false; }
    return scaledOf(a) === scaledOf(b);
  }

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : all;
    });
  }

  // --- The criteria and the points a value earns -------------------------------------------

  var criteria = [];
  var byId = {};
  var confirmed = {};  // criterion id → the value the server last confirmed (string or null)

  root.querySelectorAll("[data-criterion]").forEach(function (node) {
    var d = node.dataset;
    var criterion = {
      id: d.id, code: d.code, mode: d.mode, max: scaledOf(d.max), maxText: d.max,
      nominal: scaledOf(d.nominal), lower: scaledOf(d.toleranceLower),
      upper: scaledOf(d.toleranceUpper), step: scaledOf(d.deductionStep),
      deduction: scaledOf(d.deductionPoints), limit: scaledOf(d.deductionLimit),
      unit: d.unit || "", confirmedFar: null,
      node: node, input: node.querySelector("[data-input]"),
      choices: Array.prototype.slice.call(node.querySelectorAll("[data-choice]")),
      earned: node.querySelector("[data-earned]"), error: node.querySelector("[data-error]"),
      sync: node.querySelector("[data-sync]"), syncText: node.querySelector("[data-sync-text]"),
      conflict: node.querySelector("[data-conflict]"),
      conflictText: node.querySelector("[data-conflict-text]"),
      invalid: null, timer: null
    };
    confirmed[criterion.id] = d.serverValue === "" ? null : d.serverValue;
    criteria.push(criterion);
    byId[criterion.id] = criterion;
  });

  function measuredPoints(c, reading) {
    var low = c.nominal + c.lower;
    var high = c.nominal + c.upper;
    if (reading >= low && reading <= high) { return c.max; }
    var excess = reading < low ? low - reading : reading - high;
    if (c.limit !== null && excess > c.limit) { return ZERO; }
    var steps = (excess + c.step - BigInt(1)) / c.step;  // started steps: a ceiling
    var points = c.max - steps * c.deduction;
    return points < ZERO ? ZERO : points;
  }

  /* How a gauge reading stands against the tolerance, in words: within it, how far out and
     what that costs, or beyond the limit. */
  function toleranceWords(c, reading) {
    var low = c.nominal + c.lower;
    var high = c.nominal + c.upper;
    if (reading >= low && reading <= high) { return data.msgWithinTolerance; }
    var excess = reading < low ? low - reading : reading - high;
    if (c.limit !== null && excess > c.limit) {
      return format(data.msgBeyondLimit, { excess: plain(excess), unit: c.unit });
    }
    var steps = (excess + c.step - BigInt(1)) / c.step;
    var off = steps * c.deduction;
    return format(data.msgOutOfTolerance, { excess: plain(excess), unit: c.unit,
                                            points: plain(off > c.max ? c.max : off) });
  }

  /* A reading so far from the nominal size that a slipped decimal point is likelier than a
     part that far off (3.8 for 38.00): worth a question before it counts as zero. */
  function farReading(c, reading) {
    if (c.mode !== "measured" || c.nominal === null || c.lower === null || c.upper === null) {
      return false;
    }
    var distance = reading > c.nominal ? reading - c.nominal : c.nominal - reading;
    var nominalSize = c.nominal < ZERO ? -c.nominal : c.nominal;
    var band = (c.upper - c.lower) * BigInt(20);
    var tenth = nominalSize / BigInt(10);
    return distance > (band > tenth ? band : tenth);
  }

  /* {points: scaled or null} for a valid value (null: no mark), or {error: text}. */
  function evaluate(c, text) {
    if (text === null || text === undefined || String(text).trim() === "") { return { points: null }; }
    var number = parseDecimal(text);
    if (!number) { return { error: data.msgNumber }; }
    var v = number.scaled;
    if (c.mode === "pass_fail") {
      if (v === ZERO) { return { points: ZERO }; }
      if (v === SCALE) { return { points: c.max }; }
      return { error: format(data.msgRange, { max: "1" }) };
    }
    if (c.mode === "scale_0_3") {
      if (v < ZERO || v > BigInt(3) * SCALE || v % SCALE !== ZERO) {
        return { error: format(data.msgRange, { max: "3" }) };
      }
      // max × value / 3, rounded half up to 4 places, as the server does.
      var product = c.max * (v / SCALE);
      return { points: (product * BigInt(2) + BigInt(3)) / BigInt(6) };
    }
    if (c.mode === "measured") {
      if (!number.exact) { return { error: data.msgFourPlaces }; }
      if (c.nominal === null || c.step === null || c.deduction === null ||
          c.lower === null || c.upper === null) { return { points: null }; }
      var distance = v > c.nominal ? v - c.nominal : c.nominal - v;
      var nominalSize = c.nominal < ZERO ? -c.nominal : c.nominal;
      if (distance > nominalSize + BigInt(1000) * SCALE) { return { error: data.msgImplausible }; }
      return { points: measuredPoints(c, v) };
    }
    if (v < ZERO || v > c.max) { return { error: format(data.msgRange, { max: c.maxText }) }; }
    if (number.places > 2) { return { error: data.msgTwoPlaces }; }
    return { points: v };
  }

  function normalised(text) {
    if (text === null || text === undefined || String(text).trim() === "") { return null; }
    return plain(parseDecimal(text).scaled);
  }

  // --- The queue, kept in localStorage ------------------------------------------------------

  var memoryStore = null;  // when localStorage is unavailable (private mode)

  function emptyStore() { return { items: [], conflicts: {}, refused: {}, held: null }; }

  function loadStore() {
    try {
      var parsed = JSON.parse(window.localStorage.getItem(STORE_KEY) || "null");
      if (parsed && Array.isArray(parsed.items)) {
        parsed.conflicts = parsed.conflicts || {};
        parsed.refused = parsed.refused || {};
        return parsed;
      }
    } catch (ignored) { /* unreadable: start empty */ }
    return memoryStore || emptyStore();
  }

  var store = loadStore();

  /* Keep the store; false when localStorage refused it (it is then kept in memory). */
  function saveStore() {
    var empty = !store.items.length && !Object.keys(store.conflicts).length &&
      !Object.keys(store.refused).length && !store.held && !store.server;
    try {
      if (empty) { window.localStorage.removeItem(STORE_KEY); }
      else { window.localStorage.setItem(STORE_KEY, JSON.stringify(store)); }
      return true;
    } catch (ignored) {
      memoryStore = store;
      return false;
    }
  }

  /* Take over what an older version queued under the sheet's id: its changes come first
     (they were made first); the old key goes only once the merged queue is kept. */
  function adoptOldQueue(id) {
    var oldKey = "judging.sheet." + id + ".v1";
    var old;
    try {
      old = JSON.parse(window.localStorage.getItem(oldKey) || "null");
    } catch (ignored) {
      return;
    }
    if (!old) { return; }
    if (Array.isArray(old.items)) { store.items = old.items.concat(store.items); }
    store.conflicts = Object.assign({}, old.conflicts || {}, store.conflicts);
    store.refused = Object.assign({}, old.refused || {}, store.refused);
    if (saveStore()) {
      try { window.localStorage.removeItem(oldKey); } catch (ignored) { /* kept: taken again */ }
    }
  }

  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // randomUUID needs HTTPS; a venue's LAN server may be plain HTTP. Same UUID v4 shape.
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) {
      return (b + 0x100).toString(16).slice(1);
    }).join("");
    return hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" +
      hex.slice(16, 20) + "-" + hex.slice(20);
  }

  function lastItemFor(id) {
    for (var i = store.items.length - 1; i >= 0; i -= 1) {
      if (store.items[i].kind === "mark" && store.items[i].criterion === id) { return store.items[i]; }
    }
    return null;
  }

  function hasSubmitWaiting() {
    return store.items.some(function (item) { return item.kind === "submit"; });
  }

  /* What a criterion shows: the newest waiting change, a conflict, a refusal, or the saved value. */
  function current(c) {
    var item = lastItemFor(c.id);
    if (item) { return { value: item.value, state: "pending" }; }
    if (store.conflicts[c.id]) { return { value: store.conflicts[c.id].mine, state: "conflict" }; }
    if (store.refused[c.id]) { return { value: store.refused[c.id].value, state: "refused" }; }
    var value = confirmed[c.id];
    return { value: value, state: value === null || value === undefined ? "empty" : "saved" };
  }

  /* Put the judge's new value in the queue (before anything is sent). */
  function change(c, text) {
    var value = normalised(text);
    var now = current(c);
    delete store.refused[c.id];
    if (store.conflicts[c.id]) {
      // The judge saw the server's value and typed over it: that is their choice.
      delete store.conflicts[c.id];
    } else if (sameValue(now.value, value) && now.state !== "refused") {
      saveStore();
      render();
      return;
    }
    var last = lastItemFor(c.id);
    if (last && last.attempts === 0) {
      // Never sent: change it in place, under a new key.
      if (sameValue(last.previous, value)) {
        store.items.splice(store.items.indexOf(last), 1);
      } else {
        last.value = value;
        last.key = newKey();
      }
    } else {
      store.items.push({ kind: "mark", key: newKey(), criterion: c.id, value: value,
                         previous: last ? last.value : confirmed[c.id], attempts: 0 });
    }
    saveStore();
    render();
    flush();
  }

  // --- Talking to the server ----------------------------------------------------------------

  var sending = false;
  var online = navigator.onLine !== false;
  var failures = 0;
  var retryTimer = null;
  var sheetStatus = data.status;
  var sheetId = null;
  var urls = {};

  function setSheetId(id) {
    sheetId = String(id);
    root.dataset.sheetId = sheetId;
    urls.sheet = data.sheetsUrl + "/" + sheetId;
    urls.marks = urls.sheet + "/marks";
    urls.submit = urls.sheet + "/submit";
    adoptOldQueue(sheetId);
  }

  /* Remember the sheet as the server confirmed it, for a kept copy of the page older than it. */
  function rememberServer() {
    if (!sheetId) { return; }
    var marks = {};
    criteria.forEach(function (c) { marks[c.id] = confirmed[c.id]; });
    store.server = { id: sheetId, status: sheetStatus, version: Number(root.dataset.version),
                     marks: marks };
  }

  function post(url, key, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json",
                 "Idempotency-Key": key, "X-CSRFToken": data.csrfToken },
      body: JSON.stringify(body)
    }).then(readAnswer);
  }

  function readAnswer(response) {
    if (response.headers.get(KEPT_AT)) {
      // The service worker's copy, the network being out of reach: not the server's word.
      return { status: 0, body: null, kept: true };
    }
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === -1) {
      // An expired session answers with the sign-in page, not JSON.
      return { status: response.redirected ? 401 : response.status, body: null };
    }
    return response.json().then(function (body) {
      return { status: response.status, body: body };
    });
  }

  function flush() {
    if (sending || store.held || !store.items.length) { return; }
    if (navigator.onLine === false) { setOnline(false); return; }
    if (!sheetId) { openSheet(); return; }
    var item = store.items[0];
    item.attempts += 1;
    saveStore();  // from here on the change may have reached the server: its body is fixed
    sending = true;
    var request = item.kind === "submit" ?
      post(urls.submit, item.key, {}) :
      post(urls.marks, item.key, { changes: [
        { criterion_id: Number(item.criterion), value: item.value, previous: item.previous }] });
    request.then(function (answer) {
      sending = false;
      handle(item, answer);
    }, function () {
      sending = false;
      setOnline(false);
      retryLater();
    });
  }

  /* A page kept for offline use may show a sheet not opened yet: open it (the server starts
     it as a draft, or answers the sheet this judge already has), then send the queue. */
  function openSheet() {
    sending = true;
    var url = data.sheetsUrl + "?entry_id=" + encodeURIComponent(data.entryId) +
      "&module_id=" + encodeURIComponent(data.moduleId);
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(readAnswer).then(function (answer) {
        sending = false;
        var body = answer.body || {};
        if (answer.status === 200 && body.id) {
          setOnline(true);
          failures = 0;
          setSheetId(body.id);
          takeServerMarks(body.marks || {});
          setSheet(body);
          saveStore();
          render();
          flush();
        } else if (answer.status === 401) {
          setOnline(true);
          hold(401, data.msgSession);
        } else if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 &&
                   answer.status !== 429) {
          setOnline(true);
          hold(answer.status, body.message || body.error || data.msgRefusedBy);
        } else {
          retryLater();
        }
      }, function () {
        sending = false;
        setOnline(false);
        retryLater();
      });
  }

  function retryLater() {
    failures += 1;
    window.clearTimeout(retryTimer);
    retryTimer = window.setTimeout(flush, Math.min(MAX_BACKOFF_MS, 1000 * Math.pow(2, failures)));
    render();
  }

  function removeItem(item) {
    var index = store.items.indexOf(item);
    if (index !== -1) { store.items.splice(index, 1); }
  }

  function handle(item, answer) {
    var body = answer.body || {};
    if (answer.status === 200) {
      setOnline(true);
      failures = 0;
      removeItem(item);
      if (body.marks) { takeServerMarks(body.marks); }
      (body.conflicts || []).forEach(recordConflict);
      if (body.conflicts && body.conflicts.length) { cancelSubmit(); }
      if (body.sheet) { setSheet(body.sheet); }
      if (item.kind === "submit") { showNotice(data.msgSubmitted); }
      saveStore();
      render();
      flush();
      return;
    }
    if (answer.status === 409 || answer.status === 403) {
      setOnline(true);
      if (body.sheet) { setSheet(body.sheet); }
      hold(answer.status, body.message || body.error || data.msgRefusedBy);
      return;
    }
    if (answer.status === 401) {
      setOnline(true);
      hold(401, data.msgSession);
      return;
    }
    if (answer.status === 422) {
      setOnline(true);
      removeItem(item);
      var message = body.message || data.msgNumber;
      if (body.problems && body.problems.length) {
        message = body.problems.map(function (p) { return p.message; }).join(" ");
      }
      if (item.kind === "mark") {
        store.refused[item.criterion] = { value: item.value, message: message };
        cancelSubmit();
      } else {
        showNotice(message, "error");
      }
      saveStore();
      render();
      flush();
      return;
    }
    if (answer.status >= 400 && answer.status < 500 && answer.status !== 408 &&
        answer.status !== 429) {
      setOnline(true);
      hold(answer.status, body.message || body.error || data.msgRefusedBy);
      return;
    }
    retryLater();  // 5xx, 408, 429, a proxy's error page: try again later
  }

  function takeServerMarks(marks) {
    criteria.forEach(function (c) {
      confirmed[c.id] = marks[c.id] ? marks[c.id].value : null;
    });
  }

  /* The server kept its value: keep ours visible as conflicting, and stop sending
     the later changes of that criterion (they were made over the same stale value). */
  function recordConflict(conflict) {
    var id = String(conflict.criterion_id);
    var mine = conflict.your_value;
    store.items = store.items.filter(function (item) {
      if (item.kind === "mark" && item.criterion === id && item.attempts === 0) {
        mine = item.value;
        return false;
      }
      return true;
    });
    store.conflicts[id] = { server: conflict.server_value, mine: mine };
  }

  /* A submission the judge confirmed over values the server did not take is not sent:
     they must see and settle the conflict first. */
  function cancelSubmit() {
    var before = store.items.length;
    store.items = store.items.filter(function (item) {
      return item.kind !== "submit" || item.attempts > 0;
    });
    if (store.items.length !== before) { showNotice(data.msgUnresolved, "error"); }
  }

  function hold(status, message) {
    store.held = { status: status, message: message };
    saveStore();
    render();
  }

  function setSheet(sheet) {
    if (sheet.id && !sheetId) { setSheetId(sheet.id); }
    sheetStatus = sheet.status;
    root.dataset.status = sheet.status;
    root.dataset.version = String(sheet.version);
    rememberServer();
  }

  function refreshSheet() {
    if (!sheetId) { return Promise.resolve({ status: 0, body: null }); }
    return fetch(urls.sheet, { credentials: "same-origin",
                                  headers: { "Accept": "application/json" } })
      .then(readAnswer).then(function (answer) {
        if (answer.status === 200 && answer.body) {
          setOnline(true);
          takeServerMarks(answer.body.marks || {});
          setSheet(answer.body);
        }
        return answer;
      });
  }

  function setOnline(value) {
    online = value;
    renderHeader();
  }

  // --- Showing it ---------------------------------------------------------------------------

  var netBadge = root.querySelector("[data-net]");
  var waitingText = root.querySelector("[data-waiting]");
  var statusBadge = root.querySelector("[data-status-badge]");
  var banner = root.querySelector("[data-banner]");
  var bannerText = root.querySelector("[data-banner-text]");
  var bannerActions = root.querySelector("[data-banner-actions]");
  var bannerLogin = root.querySelector("[data-banner-login]");
  var totalNode = root.querySelector("[data-total]");
  var markedCount = root.querySelector("[data-marked-count]");
  var notice = root.querySelector("[data-notice]");
  var submitButton = root.querySelector("[data-submit]");
  var dialog = root.querySelector("[data-submit-dialog]");
  var dialogTotal = root.querySelector("[data-dialog-total]");

  var SYNC_TEXT = { saved: data.msgSaved, pending: data.msgPending, conflict: data.msgConflict,
                    refused: data.msgRefused, invalid: data.msgInvalid, empty: data.msgEmpty };

  function locked() {
    return sheetStatus === "submitted" || hasSubmitWaiting();
  }

  function renderCriterion(c) {
    var now = current(c);
    var state = c.invalid !== null ? "invalid" : now.state;
    var shown = c.invalid !== null ? c.invalid : now.value;
    if (c.input && document.activeElement !== c.input && c.invalid === null) {
      c.input.value = now.value === null || now.value === undefined ? "" : now.value;
    }
    c.choices.forEach(function (button) {
      button.setAttribute("aria-pressed", sameValue(button.dataset.choice, now.value) ? "true" : "false");
      button.disabled = locked();
    });
    if (c.input) { c.input.disabled = locked(); }
    var result = evaluate(c, shown);
    c.earned.textContent = result.points === null || result.points === undefined ? "" :
      format(data.msgEarns, { points: roundTo2(result.points) });
    if (c.mode === "measured" && result.points !== null && result.points !== undefined) {
      var reading = parseDecimal(shown);
      if (reading && c.nominal !== null && c.step !== null && c.deduction !== null) {
        c.earned.textContent = toleranceWords(c, reading.scaled) + " · " + c.earned.textContent;
      }
    }
    var errorText = result.error || (now.state === "refused" ? store.refused[c.id].message : "");
    c.error.textContent = errorText || "";
    c.error.hidden = !errorText;
    c.sync.setAttribute("data-state", state);
    c.syncText.textContent = SYNC_TEXT[state];
    c.node.classList.toggle("has-problem", state === "conflict" || state === "refused" || state === "invalid");
    var conflict = store.conflicts[c.id];
    c.conflict.hidden = !conflict || locked();
    if (conflict) {
      c.conflictText.textContent = format(data.msgConflictText, {
        server: conflict.server === null ? data.msgNothing : conflict.server,
        mine: conflict.mine === null ? data.msgNothing : conflict.mine });
    }
  }

  function totals() {
    var total = ZERO;
    var marked = 0;
    var missing = [];
    criteria.forEach(function (c) {
      var now = current(c);
      var result = evaluate(c, now.value);
      if (result.points !== null && result.points !== undefined) {
        total += result.points;
        marked += 1;
      } else {
        missing.push(c.code);
      }
    });
    return { total: roundTo2(total), marked: marked, missing: missing };
  }

  /* Marks the judge must settle before submitting: conflicts, refusals, invalid entries. */
  function toSettle() {
    return criteria.filter(function (c) {
      var state = current(c).state;
      return c.invalid !== null || state === "conflict" || state === "refused";
    }).length;
  }

  function renderHeader() {
    var waiting = store.items.length;
    var settle = toSettle();
    netBadge.textContent = online ? data.msgOnline : data.msgOffline;
    netBadge.classList.toggle("is-online", online);
    netBadge.classList.toggle("is-offline", !online);
    var parts = [];
    if (waiting) { parts.push(format(data.msgWaiting, { n: waiting })); }
    if (settle) { parts.push(format(data.msgToSettle, { n: settle })); }
    waitingText.textContent = parts.length ? parts.join(" · ") : data.msgAllSaved;
    waitingText.classList.toggle("has-waiting", waiting > 0 || settle > 0);
    statusBadge.textContent = sheetStatus === "submitted" ?
      statusBadge.dataset.labelSubmitted : sheetStatus === "not_started" ?
        statusBadge.dataset.labelNotStarted : statusBadge.dataset.labelDraft;
    statusBadge.className = "badge sheet-status status-" + sheetStatus;
  }

  function render() {
    criteria.forEach(renderCriterion);
    var sums = totals();
    totalNode.textContent = sums.total;
    markedCount.textContent = "(" + sums.marked + " / " + criteria.length + ")";
    root.classList.toggle("is-submitted", sheetStatus === "submitted");
    submitButton.hidden = sheetStatus === "submitted";
    submitButton.disabled = locked();
    if (store.held) {
      bannerText.textContent = store.held.message;
      bannerActions.hidden = false;
      bannerLogin.hidden = store.held.status !== 401;
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
    if (sheetStatus === "submitted" && !store.items.length && !store.held) {
      showNotice(data.msgSubmitted);
    } else if (hasSubmitWaiting()) {
      showNotice(data.msgSubmitting);
    }
    renderHeader();
  }

  function showNotice(text, kind) {
    notice.textContent = text || "";
    notice.hidden = !text;
    notice.classList.toggle("is-error", kind === "error");
  }

  // --- What the judge does ----------------------------------------------------------------------

  criteria.forEach(function (c) {
    c.choices.forEach(function (button) {
      button.addEventListener("click", function () {
        if (locked()) { return; }
        c.invalid = null;
        change(c, button.dataset.choice);
      });
    });
    if (!c.input) { return; }
    c.input.addEventListener("input", function () {
      window.clearTimeout(c.timer);
      var result = evaluate(c, c.input.value);
      c.invalid = result.error ? c.input.value : null;
      renderCriterion(c);
      if (!result.error) {
        c.timer = window.setTimeout(function () { commitInput(c); }, TYPING_PAUSE_MS);
      }
    });
    c.input.addEventListener("change", function () { commitInput(c); });
    c.input.addEventListener("keydown", function (event) {
      if (event.key !== "Enter") { return; }
      event.preventDefault();
      commitInput(c);
      var next = criteria[criteria.indexOf(c) + 1];
      if (next && next.input) { next.input.focus(); } else { c.input.blur(); }
    });
  });

  function commitInput(c) {
    window.clearTimeout(c.timer);
    if (locked()) { return; }
    var text = c.input.value;
    if (evaluate(c, text).error) {
      c.invalid = text;
      renderCriterion(c);
      return;
    }
    var reading = parseDecimal(text);
    if (reading && farReading(c, reading.scaled) && !sameValue(current(c).value, text) &&
        c.confirmedFar !== normalised(text)) {
      var sure = window.confirm(format(data.msgFarReading, {
        reading: normalised(text), nominal: plain(c.nominal), unit: c.unit }));
      if (!sure) {
        c.invalid = text;
        renderCriterion(c);
        c.error.textContent = data.msgCheckReading;
        c.input.focus();
        return;
      }
      c.confirmedFar = normalised(text);
    }
    c.invalid = null;
    change(c, text);
  }

  root.addEventListener("click", function (event) {
    var target = event.target;
    var node = target.closest && target.closest("[data-criterion]");
    if (!node) { return; }
    var c = byId[node.dataset.id];
    var conflict = store.conflicts[c.id];
    if (!conflict) { return; }
    if (target.closest("[data-keep-mine]")) {
      delete store.conflicts[c.id];
      store.items.push({ kind: "mark", key: newKey(), criterion: c.id, value: conflict.mine,
                         previous: confirmed[c.id], attempts: 0 });
      saveStore();
      render();
      flush();
    } else if (target.closest("[data-take-server]")) {
      delete store.conflicts[c.id];
      c.invalid = null;
      saveStore();
      render();
    }
  });

  submitButton.addEventListener("click", function () {
    // Take what is typed but not yet taken — never over a conflict: the input then shows
    // this tablet's value, and submitting must not choose it for the judge.
    criteria.forEach(function (c) {
      if (c.input && c.invalid === null && !store.conflicts[c.id]) { commitInput(c); }
    });
    if (toSettle()) {
      showNotice(data.msgUnresolved, "error");
      render();
      return;
    }
    var sums = totals();
    if (sums.missing.length) {
      showNotice(format(data.msgMissing, { codes: sums.missing.join("、") }), "error");
      var first = criteria.filter(function (c) { return c.code === sums.missing[0]; })[0];
      first.node.scrollIntoView({ block: "center" });
      return;
    }
    showNotice("");
    dialogTotal.textContent = sums.total;
    dialog.returnValue = "";
    dialog.showModal();
  });

  dialog.addEventListener("close", function () {
    if (dialog.returnValue !== "confirm" || locked()) { return; }
    store.items.push({ kind: "submit", key: newKey(), attempts: 0 });
    saveStore();
    render();
    flush();
  });

  root.querySelector("[data-banner-retry]").addEventListener("click", function () {
    refreshSheet().then(function () {
      if (sheetStatus === "submitted" && !hasSubmitWaiting()) {
        hold(409, data.msgSubmittedPending);
        return;
      }
      store.held = null;
      saveStore();
      render();
      flush();
    }, function () { setOnline(false); });
  });

  root.querySelector("[data-banner-discard]").addEventListener("click", function () {
    if (!window.confirm(data.msgDiscardConfirm)) { return; }
    store = emptyStore();
    saveStore();
    criteria.forEach(function (c) { c.invalid = null; });
    render();
    refreshSheet().then(render, function () { setOnline(false); });
  });

  window.addEventListener("online", function () { setOnline(true); failures = 0; flush(); });
  window.addEventListener("offline", function () { setOnline(false); });
  window.setInterval(function () {
    if (!sending && store.items.length && !store.held) { flush(); }
  }, RETRY_EVERY_MS);

  // --- Start: the page shows the server's values; waiting changes go on top ------------------

  if (data.sheetId) { setSheetId(data.sheetId); }
  var heard = store.server;
  if (heard && heard.version > Number(data.version || 0) && (!sheetId || heard.id === sheetId)) {
    // A kept copy of the page, older than what this tablet last heard from the server.
    if (!sheetId) { setSheetId(heard.id); }
    criteria.forEach(function (c) {
      confirmed[c.id] = heard.marks && heard.marks[c.id] !== undefined ? heard.marks[c.id] : null;
    });
    setSheet(heard);
  } else {
    rememberServer();
  }
  store.held = null;  // a fresh page: signed in, and the server's state is the page's
  if (sheetStatus === "submitted" && store.items.length && !hasSubmitWaiting()) {
    store.held = { status: 409, message: data.msgSubmittedPending };
  }
  saveStore();
  render();
  flush();

  window.judgingSheet = {
    waiting: function () { return store.items.length; },
    sheetId: function () { return sheetId; },
    store: function () { return JSON.parse(JSON.stringify(store)); },
    flush: flush
  };
})();
