/* swarmdeck trends: p95 and requests/s of each endpoint across the runs of one host
   (a chart per metric, a line per endpoint; uPlot), baselines marked. Data from
   /api/trends. Every text from a run goes in through textContent, never as HTML. */
(function () {
  "use strict";

  var METRICS = [
    {key: "p95_ms", title: "p95 response time", unit: "ms"},
    {key: "rps", title: "Requests/s", unit: "req/s"}
  ];

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function color(i, n) {
    var hue = Math.round((i * 360 / Math.max(n, 1) + 210) % 360);
    return "hsl(" + hue + ", 65%, 45%)";
  }

  function fmt(value, unit) {
    if (value === null || value === undefined) { return "–"; }
    var digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
    return value.toFixed(digits) + " " + unit;
  }

  function baselinePlugin(marks) {
    return {
      hooks: {
        draw: [function (u) {
          var ctx = u.ctx;
          ctx.save();
          ctx.strokeStyle = "#b45309";
          ctx.fillStyle = "#b45309";
          ctx.lineWidth = 2 * devicePixelRatio;
          ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
          ctx.font = (11 * devicePixelRatio) + "px sans-serif";
          marks.forEach(function (mark) {
            var x = Math.round(u.valToPos(mark.x, "x", true));
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillText("baseline " + mark.label, x + 4 * devicePixelRatio,
                         u.bbox.top + 12 * devicePixelRatio);
          });
          ctx.restore();
        }]
      }
    };
  }

  function chart(host, data, metric, chosen, width) {
    var xs = data.runs.map(function (r) { return Date.parse(r.started_at) / 1000; });
    var endpoints = data.endpoints.filter(function (e) {
      return chosen === "" || (e.method + " " + e.name) === chosen;
    });
    var series = [{label: "run started"}];
    var columns = [xs];
    endpoints.forEach(function (e, i) {
      series.push({
        label: e.label,
        stroke: color(i, endpoints.length),
        width: 1.5,
        spanGaps: true,
        points: {show: true, size: 5},
        value: function (u, v) { return fmt(v, metric.unit); }
      });
      columns.push(e[metric.key]);
    });
    var byRun = {};
    data.runs.forEach(function (r, i) { byRun[r.run_id] = xs[i]; });
    var marks = data.baselines.filter(function (b) { return b.run_id in byRun; })
      .map(function (b) { return {x: byRun[b.run_id], label: b.name}; });
    var figure = el("figure", "sd-chart");
    figure.dataset.metric = metric.key;
    figure.appendChild(el("figcaption", null, metric.title + " per endpoint, by run"));
    host.appendChild(figure);
    var opts = {
      width: width,
      height: 300,
      series: series,
      scales: {x: {time: true}, y: {range: function (u, lo, hi) { return [0, hi > 0 ? hi * 1.1 : 1]; }}},
      axes: [{}, {label: metric.unit, size: 60}],
      legend: {show: endpoints.length <= 40},
      plugins: [baselinePlugin(marks)]
    };
    return new uPlot(opts, columns, figure);
  }

  function runTable(data, runUrl) {
    var table = el("table", "sd-table sd-trend-runs");
    var head = el("tr");
    ["Run", "Started (UTC)", "Status", "Locustfile", "p95 (all)", "req/s (all)", "Tags",
     "Baseline"].forEach(function (h) { head.appendChild(el("th", null, h)); });
    var thead = el("thead");
    thead.appendChild(head);
    table.appendChild(thead);
    var body = el("tbody");
    data.runs.slice().reverse().forEach(function (r) {
      var row = el("tr");
      var cell = el("td");
      var link = el("a", null, "#" + r.run_id);
      link.href = runUrl.replace(/0$/, String(r.run_id));
      cell.appendChild(link);
      row.appendChild(cell);
      row.appendChild(el("td", null, r.started_at.replace("T", " ").slice(0, 19)));
      row.appendChild(el("td", "sd-status sd-status-" + r.status, r.status));
      row.appendChild(el("td", null, r.locustfile));
      row.appendChild(el("td", "num", fmt(r.p95_ms, "ms")));
      row.appendChild(el("td", "num", fmt(r.rps, "req/s")));
      row.appendChild(el("td", null, Object.keys(r.tags).sort().map(function (k) {
        return k + "=" + r.tags[k];
      }).join(" ")));
      row.appendChild(el("td", null, r.baselines.join(", ")));
      body.appendChild(row);
    });
    table.appendChild(body);
    return table;
  }

  function render(container, data) {
    container.textContent = "";
    if (!data.runs.length) {
      container.appendChild(el("p", "sd-empty", "No finished runs against this host yet."));
      return;
    }
    var controls = el("label", "sd-pick");
    controls.appendChild(document.createTextNode("Endpoint "));
    var select = el("select");
    select.name = "endpoint";
    select.appendChild(el("option", null, "all endpoints"));
    select.options[0].value = "";
    data.endpoints.forEach(function (e) {
      var option = el("option", null, e.label);
      option.value = e.method + " " + e.name;
      select.appendChild(option);
    });
    controls.appendChild(select);
    container.appendChild(controls);
    var charts = el("div", "sd-charts");
    container.appendChild(charts);
    var plots = [];
    function draw() {
      plots.forEach(function (p) { p.destroy(); });
      charts.textContent = "";
      var width = Math.max(Math.min(container.clientWidth, 1200) - 20, 320);
      plots = METRICS.map(function (m) { return chart(charts, data, m, select.value, width); });
      container.dataset.drawn = String(Number(container.dataset.drawn || "0") + 1);
    }
    select.addEventListener("change", draw);
    draw();
    container.appendChild(el("h2", null, "Runs"));
    container.appendChild(runTable(data, container.dataset.runUrl));
  }

  function start() {
    var container = document.getElementById("sd-trends");
    if (!container) { return; }
    fetch(container.dataset.trendsUrl, {credentials: "same-origin",
                                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) { throw new Error(body.error || response.statusText); }
          return body;
        });
      })
      .then(function (data) { render(container, data); })
      .catch(function (error) {
        container.textContent = "";
        container.appendChild(el("p", "sd-error", "Could not load the trends: " + error.message));
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
