/* Check-in desk (检录): camera QR scanner, search, and 到场 / 缺考 / 弃权 without reloading.
 *
 * Everything the script needs comes from data- attributes of #checkin (no inline script,
 * so a Content-Security-Policy can forbid them). The camera path is getUserMedia → a
 * <canvas> → jsQR (static/vendor/jsqr, loaded when the camera starts); what it decodes goes
 * to window.checkin.handleDecoded(text), which tests call directly. Without JavaScript the
 * page still works: the search is a GET form and the buttons post a plain form.
 */
(function () {
  "use strict";

  var root = document.getElementById("checkin");
  if (!root) { return; }

  var data = root.dataset;
  var results = root.querySelector("[data-results]");
  var messageBox = root.querySelector("[data-message]");
  var template = root.querySelector("[data-card-template]");
  var scanStatus = root.querySelector("[data-scan-status]");
  var view = root.querySelector("[data-scanner-view]");
  var video = root.querySelector("[data-scanner-video]");
  var canvas = root.querySelector("[data-scanner-canvas]");
  var startButton = root.querySelector("[data-scan-start]");
  var stopButton = root.querySelector("[data-scan-stop]");
  var searchForm = root.querySelector("[data-search-form]");
  var searchInput = searchForm.querySelector("input[name=q]");

  var TOKEN_IN_LINK = /\/r\/([A-Za-z0-9_-]{20,64})(?:[/?#]|$)/;
  var BARE_TOKEN = /^[A-Za-z0-9_-]{20,64}$/;
  var SAME_CODE_PAUSE_MS = 3000;
  var COUNTS_EVERY_MS = 15000;
  var FRAME_EVERY_MS = 120;  // about 8 decodes a second: quick enough, kind to a phone's battery

  var stream = null;
  var scanning = false;
  var lastCode = "";
  var lastCodeAt = 0;
  var lastFrameAt = 0;
  var busy = false;

  // --- Messages and counts ---------------------------------------------------------

  function showMessage(text, kind) {
    messageBox.textContent = text || "";
    messageBox.hidden = !text;
    messageBox.className = "checkin-message" + (kind ? " is-" + kind : "");
  }

  function updateCounts(counts) {
    if (!counts) { return; }
    root.querySelectorAll("[data-count]").forEach(function (node) {
      var key = node.getAttribute("data-count");
      if (Object.prototype.hasOwnProperty.call(counts, key)) {
        node.textContent = String(counts[key]);
      }
    });
  }

  function refreshCounts() {
    if (document.hidden) { return; }
    request(data.countsUrl).then(function (answer) {
      if (answer.ok) { updateCounts(answer.body.counts); }
    }, function () { /* offline for a moment: the next poll tries again */ });
  }

  // --- Talking to the server -------------------------------------------------------

  function request(url, options) {
    options = options || {};
    options.headers = Object.assign({ "Accept": "application/json" }, options.headers || {});
    options.credentials = "same-origin";
    return fetch(url, options).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        // A refused CSRF token or an expired session answers with a page, not JSON.
        return { ok: false, status: response.status, body: { error: data.msgSession } };
      }
      return response.json().then(function (body) {
        return { ok: response.ok, status: response.status, body: body };
      });
    });
  }

  function lookup(params) {
    var url = data.lookupUrl + (data.lookupUrl.indexOf("?") < 0 ? "?" : "&") +
      new URLSearchParams(params).toString();
    showMessage(data.msgSearching, "info");
    return request(url).then(function (answer) {
      var body = answer.body;
      updateCounts(body.counts);
      if (!answer.ok) {
        showResults([]);
        showMessage(body.error, "error");
        return answer;
      }
      showResults(body.entries);
      var scanned = body.match === "token" ? body.entries[0] : null;
      if (scanned && scanned.attendance === "present") {
        // The same ticket again: say so loudly, with the time of the first scan.
        showMessage(scanned.notice, "warning");
      } else {
        showMessage(body.entries.length ? "" : body.message, body.entries.length ? "" : "info");
      }
      return answer;
    }, function () {
      showMessage(data.msgNetwork, "error");
      return { ok: false, status: 0, body: {} };
    });
  }

  // --- Cards -------------------------------------------------------------------------

  function fill(card, entry) {
    function set(field, value) {
      var node = card.querySelector("[data-field=" + field + "]");
      if (node) { node.textContent = value === null || value === undefined || value === "" ? "—" : String(value); }
    }
    set("name", entry.name);
    set("division", entry.division);
    set("ticket_number", entry.ticket_number);
    set("id_number", entry.id_number);
    set("session", entry.session);
    set("station", entry.station);
    set("attendance_label", entry.can_check_in ? entry.attendance_label : entry.status_label);
    var notice = card.querySelector("[data-field=notice]");
    notice.textContent = entry.notice || "";
    notice.hidden = !entry.notice;
    card.className = "checkin-card att-" + entry.attendance;
    card.setAttribute("data-entry-id", String(entry.id));
    var form = card.querySelector("[data-mark-form]");
    form.action = entry.mark_url;
    form.hidden = !entry.can_check_in;
    form.querySelector("input[name=q]").value = searchInput.value;
    form.querySelectorAll("button[name=attendance]").forEach(function (button) {
      if (button.value === entry.attendance) {
        button.setAttribute("aria-pressed", "true");
      } else {
        button.removeAttribute("aria-pressed");
      }
    });
    if (entry.photo_url) {
      var box = card.querySelector(".photo-box");
      var img = document.createElement("img");
      img.src = entry.photo_url;
      img.alt = "";
      box.textContent = "";
      box.appendChild(img);
    }
  }

  function showResults(entries) {
    results.textContent = "";
    entries.forEach(function (entry) {
      var card = template.content.firstElementChild.cloneNode(true);
      fill(card, entry);
      results.appendChild(card);
    });
  }

  // --- Marking ---------------------------------------------------------------------

  function mark(form, attendance) {
    var card = form.closest("[data-entry-card]");
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    return request(form.action, {
      method: "POST",
      headers: {
        "X-CSRFToken": data.csrfToken,
        "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8",
      },
      body: new URLSearchParams({
        attendance: attendance,
        reason: form.querySelector("[name=reason]") ? form.querySelector("[name=reason]").value : ""
      }).toString(),
    }).then(function (answer) {
      if (answer.ok) {
        fill(card, answer.body.entry);
        updateCounts(answer.body.counts);
        showMessage(answer.body.message, answer.body.already ? "warning" : "success");
      } else {
        showMessage(answer.body.error, "error");
      }
    }, function () {
      showMessage(data.msgNetwork, "error");
    }).then(function () {
      buttons.forEach(function (button) { button.disabled = false; });
    });
  }

  results.addEventListener("submit", function (event) {
    var form = event.target.closest("[data-mark-form]");
    if (!form || !event.submitter) { return; }
    event.preventDefault();
    mark(form, event.submitter.value);
  });

  searchForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = searchInput.value.trim();
    if (!text) { searchInput.focus(); return; }
    // A handheld scanner types the ticket's URL into the box as if from a keyboard.
    if (TOKEN_IN_LINK.test(text)) {
      handleDecoded(text);
      searchInput.value = "";
      return;
    }
    var url = new URL(window.location.href);
    url.searchParams.set("q", text);
    window.history.replaceState(null, "", url.toString());
    lookup({ q: text });
  });

  // --- What the scanner decoded ----------------------------------------------------

  function tokenOf(text) {
    text = (text || "").trim();
    var found = TOKEN_IN_LINK.exec(text);
    if (found) { return found[1]; }
    return BARE_TOKEN.test(text) ? text : null;
  }

  /* The scanner calls this with each decoded text; returns the lookup's promise. */
  function handleDecoded(text) {
    var token = tokenOf(text);
    if (token === null) {
      // Let the server say it is not a ticket, in the user's language.
      return lookup({ token: text });
    }
    return lookup({ token: token });
  }

  // --- Camera ----------------------------------------------------------------------

  function setScanStatus(text) { scanStatus.textContent = text || ""; }

  function loadJsQR() {
    if (window.jsQR) { return Promise.resolve(window.jsQR); }
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = data.jsqrUrl;
      script.onload = function () { resolve(window.jsQR); };
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function startCamera() {
    if (!window.isSecureContext) { setScanStatus(data.msgInsecure); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      setScanStatus(data.msgNoCamera);
      return;
    }
    startButton.disabled = true;
    Promise.all([
      loadJsQR(),
      navigator.mediaDevices.getUserMedia({
        video: { facingMode: "environment", width: { ideal: 1280 }, height: { ideal: 720 } },
        audio: false,
      }),
    ]).then(function (found) {
      stream = found[1];
      video.srcObject = stream;
      return video.play();
    }).then(function () {
      scanning = true;
      view.hidden = false;
      startButton.hidden = true;
      stopButton.hidden = false;
      setScanStatus(data.msgScanning);
      try { window.localStorage.setItem("checkin.camera", "on"); } catch (e) { /* private mode */ }
      window.requestAnimationFrame(scanFrame);
    }).catch(function (error) {
      stopCamera();
      var denied = error && (error.name === "NotAllowedError" || error.name === "SecurityError");
      setScanStatus(denied ? data.msgDenied : data.msgNoCamera);
    }).then(function () {
      startButton.disabled = false;
    });
  }

  function stopCamera() {
    scanning = false;
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    video.srcObject = null;
    view.hidden = true;
    startButton.hidden = false;
    stopButton.hidden = true;
    setScanStatus("");
  }

  function scanFrame() {
    if (!scanning) { return; }
    var now = Date.now();
    if (video.readyState === video.HAVE_ENOUGH_DATA && !busy && now - lastFrameAt >= FRAME_EVERY_MS) {
      lastFrameAt = now;
      // Decode a frame at most 640 pixels wide: enough for a ticket, light on a phone.
      var scale = Math.min(1, 640 / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      var context = canvas.getContext("2d", { willReadFrequently: true });
      context.drawImage(video, 0, 0, canvas.width, canvas.height);
      var image = context.getImageData(0, 0, canvas.width, canvas.height);
      var code = window.jsQR(image.data, image.width, image.height,
        { inversionAttempts: "dontInvert" });
      if (code && code.data) {
        // A ticket held in front of the camera is read once, not again on every frame;
        // it counts as new when it is another ticket or was out of view for a while.
        var isNew = code.data !== lastCode || now - lastCodeAt > SAME_CODE_PAUSE_MS;
        lastCode = code.data;
        lastCodeAt = now;
        if (isNew) {
          busy = true;
          if (navigator.vibrate) { navigator.vibrate(80); }
          handleDecoded(code.data).then(function () { busy = false; });
        }
      }
    }
    window.requestAnimationFrame(scanFrame);
  }

  startButton.addEventListener("click", startCamera);
  stopButton.addEventListener("click", function () {
    stopCamera();
    try { window.localStorage.removeItem("checkin.camera"); } catch (e) { /* private mode */ }
  });
  document.addEventListener("visibilitychange", function () {
    if (document.hidden && scanning) { stopCamera(); }
    if (!document.hidden) { refreshCounts(); }
  });

  try {
    if (window.localStorage.getItem("checkin.camera") === "on" && window.isSecureContext) {
      startCamera();
    }
  } catch (e) { /* no storage: the desk taps the button */ }

  window.setInterval(refreshCounts, COUNTS_EVERY_MS);

  window.checkin = { handleDecoded: handleDecoded, lookup: lookup, refreshCounts: refreshCounts };
})();
