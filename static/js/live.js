/* Live updates: follow an event's server-sent stream and call back when it changes.
 *
 * followLive(url, onChange) opens the stream at url and calls onChange (at most once
 * per tenth of a second) whenever the server says "changed", and once more after each
 * reconnection, for what changed while the stream was down. The page keeps its polling:
 * isOn() tells it whether the stream is open, so it polls only now and then meanwhile.
 * A browser without EventSource, or a server that answers 503 (its streams are all
 * taken), leaves the page polling as before. data-live on <html> says which:
 * "on", "reconnecting" or "off".
 */
(function () {
  "use strict";

  function mark(state) {
    document.documentElement.setAttribute("data-live", state);
  }

  window.followLive = function (url, onChange) {
    var state = { on: false };
    var api = { isOn: function () { return state.on; } };
    if (!url || !window.EventSource) { mark("off"); return api; }
    var source = new EventSource(url, { withCredentials: true });
    var timer = null;
    var readyBefore = false;

    function changed() {
      if (timer) { return; }
      timer = window.setTimeout(function () { timer = null; onChange(); }, 100);
    }

    source.addEventListener("ready", function () {
      state.on = true;
      mark("on");
      if (readyBefore) { changed(); }  // what changed while the stream was down
      readyBefore = true;
    });
    source.addEventListener("changed", changed);
    source.addEventListener("error", function () {
      state.on = false;
      mark(source.readyState === EventSource.CLOSED ? "off" : "reconnecting");
    });
    window.addEventListener("pagehide", function () { source.close(); });
    return api;
  };
})();
