/* swarmdeck dashboard: loads a page's document from the JSON API and hands it to the
   report's own renderer (report/static/report.js, global SwarmdeckReport), so the
   dashboard and the HTML report look and behave the same. While a run is in progress the
   run page polls its document every 2 s (the server may answer with the same document
   for a few seconds: see web/documents.py) and calls SwarmdeckReport.update(doc). */
(function () {
  "use strict";

  var POLL_MS = 2000;

  function fetchJson(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (!response.ok) {
            throw new Error(body.error || (response.status + " " + response.statusText));
          }
          return body;
        });
      });
  }

  function showError(container, message) {
    container.textContent = "";
    var p = document.createElement("p");
    p.className = "sd-error";
    p.setAttribute("role", "alert");
    p.textContent = message;
    container.appendChild(p);
  }

  function statusOf(doc) {
    return doc && doc.header ? doc.header.status : null;
  }

  function totalRequests(doc) {
    return doc && doc.totals ? doc.totals.requests : null;
  }

  function setLive(bar, doc, failed) {
    var running = statusOf(doc) === "running";
    bar.hidden = !running && !failed;
    var text = bar.querySelector(".sd-live-text");
    if (!text) {
      text = document.createElement("span");
      text.className = "sd-live-text";
      bar.textContent = "";
      var dot = document.createElement("span");
      dot.className = "sd-dot";
      bar.appendChild(dot);
      bar.appendChild(text);
    }
    var requests = totalRequests(doc);
    var when = new Date().toLocaleTimeString();
    text.textContent = failed
      ? "live — could not refresh (" + failed + "), retrying"
      : "live — " + (requests === null ? "?" : requests.toLocaleString("en-US")) +
        " requests so far, updated " + when;
    bar.dataset.requests = requests === null ? "" : String(requests);
  }

  function poll(container, bar, url) {
    var updates = 0;
    function tick() {
      fetchJson(url).then(function (doc) {
        updates += 1;
        window.SwarmdeckReport.update(doc);
        container.dataset.status = statusOf(doc) || "";
        container.dataset.updates = String(updates);
        setLive(bar, doc, null);
        if (statusOf(doc) === "running") {
          window.setTimeout(tick, POLL_MS);
        }
      }).catch(function (error) {
        setLive(bar, null, error.message);
        window.setTimeout(tick, POLL_MS);
      });
    }
    window.setTimeout(tick, POLL_MS);
  }

  function start() {
    var container = document.getElementById("sd-report");
    if (!container) {
      return;
    }
    if (!window.SwarmdeckReport) {
      showError(container, "The report script did not load (report/static/report.js).");
      return;
    }
    var url = container.dataset.documentUrl;
    fetchJson(url).then(function (doc) {
      container.textContent = "";
      window.SwarmdeckReport.render(container, doc, {dashboard: true});
      container.dataset.status = statusOf(doc) || "";
      container.dataset.rendered = "true";
      var bar = document.getElementById("sd-live");
      if (container.dataset.kind === "run" && statusOf(doc) === "running" && bar) {
        setLive(bar, doc, null);
        poll(container, bar, url);
      }
    }).catch(function (error) {
      showError(container, "Could not load this page's data: " + error.message);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
