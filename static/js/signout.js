/* Signing out (the form in the top bar of templates/base.html) clears what the judge's
 * app keeps on this device: the service worker's caches and its registration, and the
 * sheets' queues that hold nothing to upload. A queue still holding changes is never
 * dropped: the judge is told how many wait and asked before signing out; they stay on the
 * tablet and are sent when that sheet is next opened online (static/js/sheet.js).
 */
(function () {
  "use strict";

  var form = document.querySelector("form[data-signout]");
  if (!form) { return; }
  var QUEUE = /^judging\.sheet\./;
  var GIVE_UP_AFTER_MS = 3000;

  function queues() {
    var found = [];
    try {
      for (var i = 0; i < window.localStorage.length; i += 1) {
        var key = window.localStorage.key(i);
        if (QUEUE.test(key)) { found.push(key); }
      }
    } catch (ignored) { /* no localStorage: nothing kept there */ }
    return found;
  }

  /* Changes a queue holds that the server does not have: waiting, conflicting, refused. */
  function waitingIn(key) {
    try {
      var store = JSON.parse(window.localStorage.getItem(key) || "null") || {};
      return (store.items || []).length + Object.keys(store.conflicts || {}).length +
        Object.keys(store.refused || {}).length;
    } catch (ignored) {
      return 1;  // unreadable: kept, in case
    }
  }

  function clearCaches() {
    var work = [];
    if (window.caches) {
      work.push(window.caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) { return name.indexOf("judge-") === 0; })
          .map(function (name) { return window.caches.delete(name); }));
      }));
    }
    if (navigator.serviceWorker && navigator.serviceWorker.getRegistrations) {
      work.push(navigator.serviceWorker.getRegistrations().then(function (registrations) {
        return Promise.all(registrations.filter(function (registration) {
          return new URL(registration.scope).pathname.indexOf("/judge") === 0;
        }).map(function (registration) { return registration.unregister(); }));
      }));
    }
    var timeout = new Promise(function (resolve) { window.setTimeout(resolve, GIVE_UP_AFTER_MS); });
    return Promise.race([Promise.all(work), timeout]);
  }

  var cleared = false;
  form.addEventListener("submit", function (event) {
    if (cleared) { return; }
    event.preventDefault();
    if (navigator.onLine === false) {
      // Signing out needs the server: nothing is cleared before it can be done.
      window.alert(form.dataset.msgOffline);
      return;
    }
    var keys = queues();
    var waiting = keys.reduce(function (sum, key) { return sum + waitingIn(key); }, 0);
    if (waiting && !window.confirm(form.dataset.msgWaiting.replace("{n}", String(waiting)))) {
      return;
    }
    keys.forEach(function (key) {
      if (!waitingIn(key)) { window.localStorage.removeItem(key); }
    });
    var done = function () {
      cleared = true;
      form.submit();
    };
    clearCaches().then(done, done);
  });
})();
