/* The judge's app on a tablet: a service worker that keeps the judge's pages on the tablet,
 * so the app opens and scores without a network, from a cold start too.
 *
 * Served at /judge-sw.js (competition/judging/app_views.py, which puts SETTINGS above this
 * source) and registered with the scope /judge by static/js/judge-app.js. What it keeps:
 *
 * - the static files of the judge's pages, in "judge-static-<build>", fetched when the
 *   worker is installed; a new build is a new worker, which drops the old files;
 * - the judge's pages and sheets' JSON, in "judge-<user id>", when the list of entries
 *   asks ("keep"): the list itself, the sheet page of every entry and module listed, the
 *   JSON of the sheets already opened, the offline page. A copy is fetched again only when
 *   the sheet's version, the build or the language changed. With the copies, under
 *   /judge-sw/kept, when they were filled and how many sheets they hold.
 *
 * How it answers: a page under /judge from the network, else (no answer within 3 s, or none
 * at all) the copy kept, else the offline page; a static file from what is kept first; a
 * sheet's JSON from the network, else the copy. It never answers a write nor any other
 * request: the sheet's queue (static/js/sheet.js) keeps changes made offline and sends them.
 * Every copy carries X-Judge-Kept-At, the time it was kept; a page shown from a copy is
 * remembered so that it can say so ("status").
 */
"use strict";

var STATIC_CACHE = "judge-static-" + SETTINGS.build;
var USER_CACHE = /^judge-\d+$/;
var KEPT_KEY = "/judge-sw/kept";
var KEPT_AT = "X-Judge-Kept-At";
var NAVIGATION_TIMEOUT_MS = 3000;
var PARALLEL_FETCHES = 4;
var SHEET_PAGE = /^\/judge\/entries\/\d+\/modules\/\d+$/;

var shownCopies = {};  // client id → when the copy it shows was kept
var filling = Promise.resolve();

function pathOf(url) {
  var parsed = new URL(url, self.location.origin);
  return parsed.pathname + parsed.search;
}

function inScope(path) {
  return path === SETTINGS.scope || path.indexOf(SETTINGS.scope + "/") === 0;
}

function isSheetJson(path) {
  return path.indexOf(SETTINGS.sheetJson) === 0 &&
    /^\d+$/.test(path.slice(SETTINGS.sheetJson.length));
}

function userCaches() {
  return caches.keys().then(function (names) {
    return names.filter(function (name) { return USER_CACHE.test(name); });
  });
}

/* The copy kept of a URL, in the judge's cache; a list of entries for one session falls
   back to the list kept without the query. */
function findCopy(path) {
  return userCaches().then(function (names) {
    return names.reduce(function (found, name) {
      return found.then(function (response) {
        if (response) { return response; }
        return caches.open(name).then(function (cache) {
          return cache.match(path, { ignoreVary: true }).then(function (exact) {
            if (exact || path.indexOf("?") === -1) { return exact; }
            return cache.match(path, { ignoreVary: true, ignoreSearch: true });
          });
        });
      });
    }, Promise.resolve(undefined));
  });
}

/* A response the server says the tablet may keep: the judge's page, whole, not moved. */
function keepable(response) {
  return response.ok && !response.redirected && response.type === "basic" &&
    response.headers.get(SETTINGS.keepHeader) === "keep";
}

/* The response as kept: its headers, the time it was kept, the build and sheet version. */
function asKept(response, version) {
  var headers = new Headers(response.headers);
  headers.set(KEPT_AT, new Date().toISOString());
  if (!headers.has(SETTINGS.buildHeader)) { headers.set(SETTINGS.buildHeader, SETTINGS.build); }
  if (version !== undefined && version !== null && !headers.has(SETTINGS.sheetVersionHeader)) {
    headers.set(SETTINGS.sheetVersionHeader, String(version));
  }
  return response.blob().then(function (body) {
    return new Response(body, { status: 200, statusText: "OK", headers: headers });
  });
}

// --- Installing: the static files -----------------------------------------------------

function keepStatic() {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return Promise.all(SETTINGS.staticUrls.map(function (url) {
      return cache.match(url).then(function (kept) {
        if (kept) { return null; }
        return fetch(url, { cache: "no-cache", credentials: "same-origin" })
          .then(function (response) { return response.ok ? cache.put(url, response) : null; });
      });
    }));
  });
}

self.addEventListener("install", function (event) {
  event.waitUntil(keepStatic().then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("judge-static-") === 0 && name !== STATIC_CACHE;
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

// --- Answering --------------------------------------------------------------------------

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  var path = url.pathname + url.search;
  if (request.mode === "navigate" && inScope(url.pathname)) {
    event.respondWith(page(event, path));
  } else if (SETTINGS.staticUrls.indexOf(url.pathname) !== -1) {
    event.respondWith(staticFile(request, url.pathname));
  } else if (isSheetJson(url.pathname)) {
    event.respondWith(sheetJson(event, path));
  }
});

/* A page: the network's answer (kept when the server allows), unless it takes longer than
   NAVIGATION_TIMEOUT_MS or fails and a copy is kept; without a copy, the network's answer
   however late, else the offline page. A server error shows the copy too, when there is one. */
function page(event, path) {
  var fromNetwork = fetch(event.request);
  event.waitUntil(fromNetwork.then(function (response) {
    return keepable(response) ? keepVisited(path, response.clone()) : null;
  }).catch(function () { return null; }));
  var copy = findCopy(path);
  return new Promise(function (resolve) {
    var answered = false;
    function answer(response) {
      if (!answered) { answered = true; resolve(response); }
    }
    function showCopy(otherwise) {
      copy.then(function (kept) {
        if (kept) {
          shownCopies[event.resultingClientId] = kept.headers.get(KEPT_AT);
          answer(kept);
        } else {
          otherwise();
        }
      }, otherwise);
    }
    function offline() {
      findCopy(SETTINGS.offlineUrl).then(function (kept) {
        if (kept) { shownCopies[event.resultingClientId] = kept.headers.get(KEPT_AT); }
        answer(kept || Response.error());
      }, function () { answer(Response.error()); });
    }
    var timer = setTimeout(function () {
      showCopy(function () { fromNetwork.then(answer, offline); });
    }, NAVIGATION_TIMEOUT_MS);
    fromNetwork.then(function (response) {
      clearTimeout(timer);
      if (response.status >= 500) {
        showCopy(function () { answer(response); });
      } else {
        answer(response);
      }
    }, function () {
      clearTimeout(timer);
      showCopy(offline);
    });
  });
}

/* A page opened online becomes the copy kept, in its judge's cache if the tablet keeps one
   for them (after "keep"; never after signing out). */
function keepVisited(path, response) {
  var name = "judge-" + response.headers.get(SETTINGS.userHeader);
  return caches.has(name).then(function (known) {
    if (!known) { return null; }
    return Promise.all([caches.open(name), asKept(response)]).then(function (both) {
      return both[0].put(path, both[1]);
    });
  });
}

function staticFile(request, path) {
  return caches.open(STATIC_CACHE).then(function (cache) {
    return cache.match(path).then(function (kept) {
      if (kept) { return kept; }
      return fetch(request).then(function (response) {
        if (response.ok) { cache.put(path, response.clone()); }
        return response;
      });
    });
  });
}

/* A sheet's JSON: the network's answer (replacing the copy the judge's cache holds), else
   the copy. */
function sheetJson(event, path) {
  return fetch(event.request).then(function (response) {
    if (response.ok) {
      var fresh = response.clone();
      event.waitUntil(userCaches().then(function (names) {
        return Promise.all(names.map(function (name) {
          return caches.open(name).then(function (cache) {
            return cache.match(path).then(function (kept) {
              return kept ? asKept(fresh.clone()).then(function (copy) {
                return cache.put(path, copy);
              }) : null;
            });
          });
        }));
      }));
    }
    return response;
  }, function (error) {
    return findCopy(path).then(function (kept) {
      if (kept) { return kept; }
      throw error;
    });
  });
}

// --- Keeping the judge's pages ---------------------------------------------------------------

/* message: {user, lang, complete, pages: [{url, version?, always?}], sheets: [{id, version}]}.
   Answers what is kept: {user, filledAt, sheets, failed}. */
function keep(message) {
  var name = "judge-" + message.user;
  var wanted = message.pages.map(function (item) {
    return { url: pathOf(item.url), version: item.version, always: item.always, page: true };
  }).concat(message.sheets.map(function (item) {
    return { url: SETTINGS.sheetJson + item.id, version: item.version, page: false };
  }));
  var cache;
  return userCaches().then(function (names) {
    // One judge's copy on a tablet: another judge's goes.
    return Promise.all(names.filter(function (other) { return other !== name; })
      .map(function (other) { return caches.delete(other); }));
  }).then(keepStatic).then(function () {
    return caches.open(name);
  }).then(function (opened) {
    cache = opened;
    return cache.keys();
  }).then(function (requests) {
    return Promise.all(requests.map(function (request) {
      return cache.match(request).then(function (response) {
        return { url: pathOf(request.url), headers: response.headers };
      });
    }));
  }).then(function (kept) {
    var byUrl = {};
    kept.forEach(function (item) { byUrl[item.url] = item.headers; });
    var todo = wanted.filter(function (item) {
      var headers = byUrl[item.url];
      if (item.always || !headers) { return true; }
      if (headers.get(SETTINGS.buildHeader) !== SETTINGS.build) { return true; }
      if (item.page && (headers.get("Content-Language") || "") !== (message.lang || "")) {
        return true;
      }
      return item.version !== undefined &&
        String(item.version) !== headers.get(SETTINGS.sheetVersionHeader);
    });
    var stale = message.complete ? kept.filter(function (item) {
      var path = item.url.split("?")[0];
      return (SHEET_PAGE.test(path) || isSheetJson(path)) &&
        !wanted.some(function (w) { return w.url === item.url; });
    }) : [];
    return Promise.all(stale.map(function (item) { return cache.delete(item.url); }))
      .then(function () { return fetchAll(cache, todo); });
  }).then(function (failed) {
    return cache.keys().then(function (requests) {
      var sheets = requests.filter(function (request) {
        return SHEET_PAGE.test(new URL(request.url).pathname);
      }).length;
      var record = { user: String(message.user), filledAt: new Date().toISOString(),
                     sheets: sheets, failed: failed };
      return cache.put(KEPT_KEY, new Response(JSON.stringify(record), {
        headers: { "Content-Type": "application/json" } })).then(function () { return record; });
    });
  });
}

/* Fetch the copies a few at a time; answers how many could not be kept. */
function fetchAll(cache, todo) {
  var failed = 0;
  var queue = todo.slice();
  function next() {
    var item = queue.shift();
    if (!item) { return Promise.resolve(); }
    var headers = {};
    headers[SETTINGS.prefetchHeader] = "1";
    return fetch(item.url, { credentials: "same-origin", cache: "no-store", headers: headers })
      .then(function (response) {
        var fine = item.page ? keepable(response) : response.ok && !response.redirected;
        if (!fine) { throw new Error("not kept: " + item.url); }
        return asKept(response, item.version).then(function (copy) {
          return cache.put(item.url, copy);
        });
      }).catch(function () { failed += 1; }).then(next);
  }
  var workers = [];
  for (var i = 0; i < PARALLEL_FETCHES; i += 1) { workers.push(next()); }
  return Promise.all(workers).then(function () { return failed; });
}

function keptRecord() {
  return userCaches().then(function (names) {
    if (!names.length) { return null; }
    return caches.open(names[0]).then(function (cache) { return cache.match(KEPT_KEY); })
      .then(function (response) { return response ? response.json() : null; });
  });
}

self.addEventListener("message", function (event) {
  var message = event.data || {};
  var port = event.ports && event.ports[0];
  function reply(body) { if (port) { port.postMessage(body); } }
  if (message.type === "keep") {
    filling = filling.then(function () { return keep(message); }).then(function (record) {
      reply({ type: "kept", kept: record });
    }, function (error) {
      reply({ type: "failed", error: String(error) });
    });
    event.waitUntil(filling);
  } else if (message.type === "status") {
    var clientId = event.source && event.source.id;
    event.waitUntil(keptRecord().then(function (record) {
      reply({ type: "status", kept: record, copy: shownCopies[clientId] || null });
    }, function () {
      reply({ type: "status", kept: null, copy: shownCopies[clientId] || null });
    }));
  }
});
