// A job's page (templates/jobs/job.html): asks /jobs/<id>.json every second how far the
// job is and moves the progress bar; when the job starts, ends or fails, the page is
// loaded again, so that the server shows the download link or the error. Without
// JavaScript the page has a refresh link.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box) {
    return;
  }
  var shown = box.getAttribute("data-status");
  if (shown === "done" || shown === "failed") {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var countText = box.getAttribute("data-count") || "";
  var bar = document.getElementById("job-progress");
  var count = document.getElementById("job-count");

  function show(job) {
    if (job.status !== shown) {
      window.location.reload();
      return true;
    }
    if (job.total > 0) {
      bar.max = job.total;
      bar.value = Math.min(job.done, job.total);
      bar.textContent = job.done + " / " + job.total;
      count.textContent = countText.replace("%(done)s", job.done).replace("%(total)s", job.total);
    }
    return false;
  }

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status);
        }
        return response.json();
      })
      .then(function (job) {
        if (!show(job)) {
          window.setTimeout(poll, 1000);
        }
      })
      .catch(function () {
        window.setTimeout(poll, 3000);  // a network hiccup: try again a little later
      });
  }

  window.setTimeout(poll, 1000);
}());
