/* The organizers' results of an event, kept current by the server's stream (live.js).
 *
 * When the event's scores change, the page is fetched again and #live-results replaced
 * by the new one, unless the reader is in the middle of a form there: then a line says
 * the results changed, with a link to show them. Without JavaScript, or without the
 * stream, the page is as it was when loaded.
 */
(function () {
  "use strict";

  var region = document.getElementById("live-results");
  if (!region || !window.followLive || !window.DOMParser) { return; }
  var busy = false;
  var again = false;

  function typing() {
    var active = document.activeElement;
    return active && region.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName);
  }

  function showStale() {
    var line = region.querySelector("[data-live-stale]");
    if (line) { line.hidden = false; }
  }

  function reload() {
    if (busy) { again = true; return; }
    if (typing()) { showStale(); return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store",
                                  headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (!response.ok) { throw new Error("reload refused: " + response.status); }
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html")
          .getElementById("live-results");
        if (!fresh) { return; }
        if (typing()) { showStale(); return; }
        region.innerHTML = fresh.innerHTML;
      })
      .catch(showStale)
      .then(done, done);
  }

  function done() {
    busy = false;
    if (again) { again = false; reload(); }
  }

  window.followLive(region.dataset.streamUrl, reload);
})();
