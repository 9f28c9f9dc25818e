/* swarmdeck report: draws a run document (or a compare document) built by
 * swarmdeck.report.document. Plain JavaScript, no build step; needs uPlot (vendored).
 *
 *   var view = SwarmdeckReport.render(container, doc, {});   // draws everything
 *   view.update(newerDoc);        // redraws, keeping the endpoint picked and the sort
 *   SwarmdeckReport.update(doc);  // the same, on the last view rendered
 *
 * Every text that comes from a run (endpoint names, failure reasons, tags, messages) is
 * attacker-controlled: the DOM is built with createElement and textContent only.
 */
(function (global) {
  "use strict";

  var AGG = "Aggregated";
  var COLORS = { users: "#7b61ff", rps: "#2f80ed", fps: "#eb5757", p50: "#27ae60",
                 p95: "#f2994a", p99: "#b3261e", base: "#8a94a6", cand: "#2f80ed",
                 bar: "#2f80ed", stage: "rgba(80,80,80,0.55)",
                 outage: "rgba(214,48,49,0.14)", outageText: "#a61b1b" };

  // -- DOM helpers: never innerHTML ----------------------------------------------------
  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      for (var k in props) {
        if (!Object.prototype.hasOwnProperty.call(props, k)) continue;
        var v = props[k];
        if (v === undefined || v === null) continue;
        if (k === "text") node.textContent = String(v);
        else if (k === "className") node.className = v;
        else if (k === "title") node.title = String(v);
        else if (k.indexOf("data-") === 0 || k === "role" || k.indexOf("aria-") === 0 ||
                 k === "scope" || k === "colspan") node.setAttribute(k, String(v));
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
        else node[k] = v;
      }
    }
    append(node, children);
    return node;
  }

  function append(node, children) {
    if (children === undefined || children === null) return node;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === "string" || typeof c === "number"
        ? document.createTextNode(String(c)) : c);
    });
    return node;
  }

  // -- formatting ----------------------------------------------------------------------
  function isNum(v) { return typeof v === "number" && isFinite(v); }
  var fmt = {
    ms: function (v) {
      if (!isNum(v)) return "–";
      if (v === 0) return "0";
      if (v < 10) return v.toFixed(2);
      if (v < 100) return v.toFixed(1);
      return Math.round(v).toLocaleString("en-US");
    },
    count: function (v) { return isNum(v) ? Math.round(v).toLocaleString("en-US") : "–"; },
    rate: function (v) {
      return isNum(v) ? v.toLocaleString("en-US", { minimumFractionDigits: 1,
                                                   maximumFractionDigits: 1 }) : "–";
    },
    pct: function (v) { return isNum(v) ? v.toFixed(2) + "%" : "–"; },
    signedPct: function (v) { return isNum(v) ? (v > 0 ? "+" : "") + v.toFixed(1) + "%" : "–"; },
    duration: function (s) {
      if (!isNum(s)) return "–";
      var neg = s < 0; s = Math.abs(Math.round(s));
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
      var out = h ? h + ":" + pad(m) + ":" + pad(sec) : m + ":" + pad(sec);
      return neg ? "-" + out : out;
    },
    date: function (iso) {
      if (!iso) return "–";
      var d = new Date(iso);
      if (isNaN(d.getTime())) return String(iso);
      return d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC").replace(/Z$/, " UTC");
    },
    bytes: function (v) {
      if (!isNum(v)) return "–";
      var units = ["B", "kB", "MB", "GB", "TB"], i = 0;
      while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
      return (i ? v.toFixed(1) : String(v)) + " " + units[i];
    }
  };
  function pad(n) { return n < 10 ? "0" + n : String(n); }

  // -- charts --------------------------------------------------------------------------
  var TIME_INCRS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
                    21600, 43200, 86400];

  var INT_INCRS = [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000,
                   20000, 25000, 50000, 100000, 200000, 500000, 1000000];

  // 1-2-5 ticks over a log axis, whatever its range (uPlot's own keep decades only)
  function logSplits(u, axisIdx, min, max) {
    var out = [], e = Math.floor(Math.log10(min)) - 1;
    for (; Math.pow(10, e) <= max * 1.0001; e++) {
      [1, 2, 5].forEach(function (m) {
        var v = m * Math.pow(10, e);
        if (v >= min * 0.9999 && v <= max * 1.0001) out.push(+v.toPrecision(3));
      });
    }
    if (out.length < 2) out = [min, max];
    return out;
  }

  function stagePlugin(stages) {
    return {
      hooks: {
        draw: [function (u) {
          if (!stages || !stages.length) return;
          var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height;
          ctx.save();
          ctx.strokeStyle = COLORS.stage;
          ctx.fillStyle = COLORS.stage;
          ctx.setLineDash([4, 4]);
          ctx.lineWidth = 1 * (global.devicePixelRatio || 1);
          ctx.font = Math.round(10 * (global.devicePixelRatio || 1)) + "px sans-serif";
          ctx.textBaseline = "top";
          ctx.textAlign = "left";
          stages.forEach(function (st) {
            var x = u.valToPos(st.start_s, "x", true);
            if (!(x >= u.bbox.left - 1 && x <= u.bbox.left + u.bbox.width + 1)) return;
            ctx.beginPath();
            ctx.moveTo(x, top);
            ctx.lineTo(x, top + height);
            ctx.stroke();
            ctx.fillText(String(st.name) + " (" + st.users + ")", x + 3, top + 2);
          });
          ctx.restore();
        }]
      }
    };
  }

  // outage windows (the outage findings, doc.outages): a shaded band under the lines,
  // labelled at the top (below the stages' names)
  function outagePlugin(outages, stages) {
    return {
      hooks: {
        drawClear: [function (u) {
          if (!outages || !outages.length) return;
          var ctx = u.ctx, top = u.bbox.top, height = u.bbox.height, dpr = global.devicePixelRatio || 1;
          var left = u.bbox.left, right = u.bbox.left + u.bbox.width;
          ctx.save();
          ctx.font = Math.round(10 * dpr) + "px sans-serif";
          ctx.textBaseline = "top";
          ctx.textAlign = "left";
          outages.forEach(function (o) {
            var x0 = Math.max(u.valToPos(o.start_s, "x", true), left);
            var x1 = Math.min(u.valToPos(o.end_s, "x", true), right);
            if (!(x1 > x0)) return;
            ctx.fillStyle = COLORS.outage;
            ctx.fillRect(x0, top, x1 - x0, height);
            ctx.fillStyle = COLORS.outageText;
            ctx.fillText("outage " + fmt.duration(o.start_s) + "–" + fmt.duration(o.end_s),
                         x0 + 3, top + (stages && stages.length ? 14 * dpr : 2));
          });
          ctx.restore();
        }]
      }
    };
  }

  function timeAxis() {
    return { incrs: TIME_INCRS, values: function (u, splits) { return splits.map(fmt.duration); },
             label: "time since start", labelSize: 18, size: 40 };
  }

  function lineChart(target, opts) {
    // opts: {title, width, x, lines: [{label, data, color, dash}], unit, stages, outages, yMin0}
    var data = [opts.x];
    var series = [{ label: "time", value: function (u, v) { return v == null ? "–" : fmt.duration(v); } }];
    opts.lines.forEach(function (line) {
      data.push(line.data);
      series.push({ label: line.label, stroke: line.color, width: 1.5, dash: line.dash,
                    spanGaps: !!opts.spanGaps, points: { show: false },
                    value: function (u, v) { return v == null ? "–" : opts.format(v); } });
    });
    var marks = (opts.stages && opts.stages.length ? 1 : 0) + (opts.outages && opts.outages.length ? 1 : 0);
    var headroom = [1.08, 1.18, 1.3][marks];  // room for the stages' and outages' names
    var uopts = {
      title: opts.title, width: opts.width, height: opts.height || 220,
      scales: { x: { time: false }, y: { range: function (u, min, max) {
        if (!isFinite(max)) max = 1;
        return [0, max > 0 ? max * headroom : 1];
      } } },
      axes: [timeAxis(), { size: 60, incrs: opts.integer ? INT_INCRS : undefined,
                           values: function (u, splits) { return splits.map(opts.format); } }],
      series: series,
      legend: { live: true },
      // every time chart follows one cursor: a knee lines up with what saturated
      cursor: { drag: { x: true, y: false }, sync: { key: "sd-time" } },
      plugins: [stagePlugin(opts.stages), outagePlugin(opts.outages, opts.stages)]
    };
    return new global.uPlot(uopts, data, target);
  }

  function barChart(target, opts) {
    // opts: {title, width, edges, counts}
    var edges = opts.edges, counts = opts.counts, x = [];
    for (var i = 0; i < counts.length; i++) x.push(Math.sqrt(edges[i] * edges[i + 1]));
    var uopts = {
      title: opts.title, width: opts.width, height: opts.height || 200,
      scales: { x: { time: false, distr: 3, range: function () {
        return [edges[0], edges[edges.length - 1]];
      } }, y: { range: function (u, min, max) { return [0, max > 0 ? max * 1.08 : 1]; } } },
      axes: [{ label: "response time (ms, log scale)", labelSize: 18, size: 40,
               splits: logSplits, filter: function (u, splits) { return splits; },
               values: function (u, splits) {
                 return splits.map(function (v) { return v == null ? "" : fmt.ms(v); }); } },
             { size: 60, values: function (u, splits) { return splits.map(fmt.count); } }],
      series: [
        { label: "ms", value: function (u, v, si, idx) {
          return idx == null ? "–" : fmt.ms(edges[idx]) + "–" + fmt.ms(edges[idx + 1]) + " ms";
        } },
        { label: "requests", fill: COLORS.bar, stroke: COLORS.bar, width: 0,
          paths: global.uPlot.paths.bars({ size: [0.92, Infinity], gap: 1 }),
          points: { show: false }, value: function (u, v) { return fmt.count(v); } }
      ],
      legend: { live: true }
    };
    return new global.uPlot(uopts, [x, counts], target);
  }

  // -- small pieces --------------------------------------------------------------------
  function badge(text, kind) { return el("span", { className: "sd-badge sd-" + kind, text: text }); }

  function statusKind(status) {
    return { passed: "ok", failed: "bad", crashed: "bad", aborted: "warn", degraded: "warn",
             running: "info" }[status] || "info";
  }

  function section(title, id, children, note) {
    return el("section", { className: "sd-section", id: id }, [
      el("h2", { text: title }), note ? el("p", { className: "sd-note", text: note }) : null
    ].concat(children));
  }

  function table(columns, rows, opts) {
    // columns: [{key, label, num, render(row) -> string|Node}], rows: objects
    opts = opts || {};
    var thead = el("thead", null, el("tr", null, columns.map(function (c) {
      var th = el("th", { text: c.label, scope: "col", className: c.num ? "sd-num" : "",
                          title: c.title });
      if (opts.onSort) {
        th.classList.add("sd-sortable");
        th.setAttribute("data-key", c.key);
        if (opts.sortKey === c.key) {
          th.classList.add(opts.sortDir > 0 ? "sd-asc" : "sd-desc");
          th.setAttribute("aria-sort", opts.sortDir > 0 ? "ascending" : "descending");
        }
        th.tabIndex = 0;
        th.addEventListener("click", function () { opts.onSort(c.key); });
        th.addEventListener("keydown", function (e) {
          if (e.key === "Enter" || e.key === " ") { e.preventDefault(); opts.onSort(c.key); }
        });
      }
      return th;
    })));
    var body = el("tbody");
    rows.forEach(function (row) {
      var tr = el("tr", { className: opts.rowClass ? opts.rowClass(row) : "" });
      if (opts.rowKey) tr.setAttribute("data-key", opts.rowKey(row));
      if (opts.onRow) tr.addEventListener("click", function () { opts.onRow(row); });
      columns.forEach(function (c) {
        var v = c.render ? c.render(row) : row[c.key];
        tr.appendChild(el("td", { className: c.num ? "sd-num" : "" },
          v instanceof Node ? v : String(v === null || v === undefined ? "–" : v)));
      });
      body.appendChild(tr);
    });
    var foot = null;
    if (opts.footer) {
      foot = el("tfoot", null, el("tr", null, columns.map(function (c) {
        var v = c.render ? c.render(opts.footer) : opts.footer[c.key];
        return el("td", { className: c.num ? "sd-num" : "" },
          v instanceof Node ? v : String(v === null || v === undefined ? "–" : v));
      })));
    }
    return el("div", { className: "sd-table-wrap" },
              el("table", { className: "sd-table " + (opts.className || "") }, [thead, body, foot]));
  }

  // An endpoint as the document labels it: "GET /x", the method in its own style, or the
  // name alone when the label is the name (a request named "GET /x", method GET).
  function endpointCell(row) {
    var method = row.method && row.label !== row.name ? row.method : null;
    return el("span", { className: "sd-endpoint" }, [
      method ? el("span", { className: "sd-method", text: method }) : null,
      el("span", { className: "sd-name", text: row.name })
    ]);
  }

  // The label of an endpoint key, from the documents' endpoint rows (the key itself for a
  // key they lack).
  function labelOf(docs, key) {
    for (var i = 0; i < docs.length; i++) {
      var rows = docs[i].endpoints || [];
      for (var j = 0; j < rows.length; j++) {
        if (rows[j].key === key && rows[j].label != null) return String(rows[j].label);
      }
    }
    return key;
  }

  var ENDPOINT_COLUMNS = [
    { key: "name", label: "Endpoint", render: endpointCell },
    { key: "requests", label: "Requests", num: true, render: function (r) { return fmt.count(r.requests); } },
    { key: "failures", label: "Failures", num: true, render: function (r) { return fmt.count(r.failures); } },
    { key: "failure_pct", label: "Fail %", num: true, render: function (r) { return fmt.pct(r.failure_pct); } },
    { key: "rps", label: "Req/s", num: true, render: function (r) { return fmt.rate(r.rps); } },
    { key: "avg_ms", label: "Avg ms", num: true, render: function (r) { return fmt.ms(r.avg_ms); } },
    { key: "p50_ms", label: "p50 ms", num: true, render: function (r) { return fmt.ms(r.p50_ms); } },
    { key: "p90_ms", label: "p90 ms", num: true, render: function (r) { return fmt.ms(r.p90_ms); } },
    { key: "p95_ms", label: "p95 ms", num: true, render: function (r) { return fmt.ms(r.p95_ms); } },
    { key: "p99_ms", label: "p99 ms", num: true, render: function (r) { return fmt.ms(r.p99_ms); } },
    { key: "p999_ms", label: "p99.9 ms", num: true, render: function (r) { return fmt.ms(r.p999_ms); } },
    { key: "max_ms", label: "Max ms", num: true, render: function (r) { return fmt.ms(r.max_ms); } },
    // the percentiles above are of the successful requests; the failed ones' apart
    { key: "failed_latency.p95_ms", label: "Failed p95 ms", num: true,
      title: "p95 of the failed requests' response times (not in the percentiles)",
      render: function (r) { return fmt.ms(field(r, "failed_latency.p95_ms")); } }
  ];

  function field(row, key) {
    // a row's value at a key, dotted for a nested one ("failed_latency.p95_ms")
    return key.split(".").reduce(function (v, k) { return v == null ? v : v[k]; }, row);
  }

  function sortRows(rows, key, dir) {
    return rows.slice().sort(function (a, b) {
      var x = field(a, key), y = field(b, key), c;
      if (typeof x === "string" || typeof y === "string") {
        c = String(x).localeCompare(String(y));
        if (c === 0 && key === "name") c = String(a.method).localeCompare(String(b.method));
      } else {
        c = (isNum(x) ? x : -Infinity) - (isNum(y) ? y : -Infinity);
      }
      return c * dir;
    });
  }

  // -- the view ------------------------------------------------------------------------
  function View(container, doc, options) {
    this.container = container;
    this.options = options || {};
    this.state = { endpoint: this.options.endpoint || AGG, sortKey: "name", sortDir: 1 };
    this.charts = {};
    this.doc = doc;
    var self = this;
    this._onResize = function () { self._resize(); };
    global.addEventListener("resize", this._onResize);
    this.draw();
  }

  View.prototype.destroy = function () {
    global.removeEventListener("resize", this._onResize);
    this._destroyCharts();
    this.container.replaceChildren();
  };

  View.prototype.update = function (doc) {
    this.doc = doc;
    this.draw();
  };

  View.prototype.select = function (key) {
    this.state.endpoint = key;
    this.draw();
  };

  View.prototype._destroyCharts = function () {
    for (var k in this.charts) if (this.charts[k]) this.charts[k].destroy();
    this.charts = {};
  };

  View.prototype._width = function () {
    var w = this.container.clientWidth || 1000;
    return Math.max(320, Math.min(w, 1400) - 24);
  };

  View.prototype._resize = function () {
    var w = this._width();
    for (var k in this.charts) {
      var c = this.charts[k];
      if (c) c.setSize({ width: c.__half ? halfWidth(w) : w, height: c.height });
    }
  };

  function halfWidth(w) { return w >= 900 ? Math.floor((w - 16) / 2) : w; }

  // The time window a chart is zoomed to (null when it shows all its data).
  function zoomOf(chart) {
    var x = chart.data && chart.data[0], sc = chart.scales && chart.scales.x;
    if (!x || !x.length || !sc || sc.min == null || sc.max == null) return null;
    return sc.min > x[0] || sc.max < x[x.length - 1] ? [sc.min, sc.max] : null;
  }

  View.prototype.draw = function () {
    var doc = this.doc;
    var width = this._width();
    var zooms = {}, drawnFor = this._drawnFor;
    for (var k in this.charts) if (this.charts[k]) zooms[k] = zoomOf(this.charts[k]);
    this._destroyCharts();
    var nodes = doc.kind === "compare" ? this._compare(doc, width) : this._run(doc, width);
    this.container.classList.add("sd-report");
    this.container.replaceChildren.apply(this.container, nodes);
    // keep a zoom across updates (the live page redraws every few seconds); the time
    // charts keep it across endpoints too, the distribution (in ms) only for its endpoint
    this._drawnFor = this.state.endpoint;
    for (var name in zooms) {
      var z = zooms[name], chart = this.charts[name];
      if (!z || !chart || (name === "distribution" && drawnFor !== this.state.endpoint)) continue;
      chart.setScale("x", { min: z[0], max: z[1] });
    }
  };

  View.prototype._chart = function (name, target, make, half) {
    var chart = make(target);
    chart.__half = !!half;
    this.charts[name] = chart;
    return chart;
  };

  View.prototype._endpointKeys = function (docs) {
    var seen = {}, keys = [];
    docs.forEach(function (d) {
      (d.endpoints || []).forEach(function (e) {
        if (!seen[e.key]) { seen[e.key] = true; keys.push(e.key); }
      });
    });
    return keys;
  };

  View.prototype._picker = function (keys, docs) {
    var self = this;
    if (this.state.endpoint !== AGG && keys.indexOf(this.state.endpoint) < 0) {
      keys = keys.concat([this.state.endpoint]);  // keep a pick the newer data lacks
    }
    var select = el("select", { className: "sd-endpoint-select", "aria-label": "endpoint",
                                onchange: function () { self.select(select.value); } },
      [el("option", { value: AGG, text: "All endpoints (aggregated)" })].concat(
        keys.map(function (k) { return el("option", { value: k, text: labelOf(docs, k) }); })));
    select.value = this.state.endpoint;
    return el("label", { className: "sd-picker" }, ["Endpoint ", select]);
  };

  // Lines of one run for the picked endpoint: {t, rps, fps, p50, p95, p99, step_s, users}
  function linesFor(doc, key) {
    var tl = doc.timeline || {};
    if (key === AGG) return tl;
    var et = doc.endpoint_timelines || {}, s = (et.series || {})[key];
    if (!s) return { t: [], rps: [], fps: [], p50: [], p95: [], p99: [], step_s: et.step_s };
    return { t: et.t, rps: s.rps, fps: s.fps, p50: s.p50, p95: s.p95, p99: s.p99,
             step_s: et.step_s };
  }

  View.prototype._run = function (doc, width) {
    var self = this, nodes = [];
    nodes.push(this._header(doc, "Run"));
    nodes.push(this._totals(doc.totals));
    if (doc.thresholds && doc.thresholds.length) nodes.push(this._thresholds(doc.thresholds));
    if (doc.findings && doc.findings.length) nodes.push(this._findings(doc.findings));

    var key = this.state.endpoint, shown = labelOf([doc], key);
    var lines = linesFor(doc, key);
    var tl = doc.timeline || {};
    var stages = doc.stages || [];
    var outages = doc.outages || [];
    var charts = el("div", { className: "sd-charts" });
    var note = "Step " + (lines.step_s || "?") + " s" +
      (key !== AGG && (doc.endpoint_timelines || {}).step_s !== tl.step_s
        ? " per endpoint (the aggregated charts use " + tl.step_s + " s)" : "") +
      (stages.length ? "; dashed lines mark the shape's stages" : "") +
      (outages.length ? "; red bands mark outages (the target was down: see Findings)" : "") +
      ". Drag across a chart to zoom, double-click to reset.";
    var half = halfWidth(width);
    var mk = function (name, title, half_, make) {
      var box = el("div", { className: "sd-chart", "data-chart": name });
      charts.appendChild(box);
      self._chart(name, box, make, half_);
    };
    mk("users", "Users", true, function (t) {
      return lineChart(t, { title: "Users", width: half, x: tl.t || [], stages: stages, outages: outages,
        lines: [{ label: "users", data: tl.users || [], color: COLORS.users }], format: fmt.count,
        integer: true });
    });
    mk("rps", "Requests/s" + (key === AGG ? "" : ": " + shown), true, function (t) {
      return lineChart(t, { title: "Requests/s and failures/s" + (key === AGG ? "" : " — " + shown),
        width: half, x: lines.t || [], stages: stages, outages: outages, format: fmt.rate,
        lines: [{ label: "requests/s", data: lines.rps || [], color: COLORS.rps },
                { label: "failures/s", data: lines.fps || [], color: COLORS.fps }] });
    });
    mk("latency", "Response time", false, function (t) {
      return lineChart(t, { title: "Response time (ms)" + (key === AGG ? "" : " — " + shown),
        width: width, x: lines.t || [], stages: stages, outages: outages, format: fmt.ms, height: 260,
        lines: [{ label: "p50", data: lines.p50 || [], color: COLORS.p50 },
                { label: "p95", data: lines.p95 || [], color: COLORS.p95 },
                { label: "p99", data: lines.p99 || [], color: COLORS.p99 }] });
    });
    var monitors = global.SwarmdeckMonitors;  // monitors.js: the target side's series
    var iterations = global.SwarmdeckIterations;  // iterations.js: an open-model run's
    var helpers = { mk: mk, width: width, half: half, stages: stages, outages: outages,
                    lineChart: lineChart, fmt: fmt, el: el, section: section, table: table,
                    badge: badge };
    if (doc.iterations && iterations) iterations.charts(doc, helpers);
    if (doc.monitors && monitors) monitors.charts(doc, helpers);
    nodes.push(section("Over time", "sd-over-time",
      [el("div", { className: "sd-toolbar" }, this._picker(this._endpointKeys([doc]), [doc])), charts],
      note + (doc.iterations && iterations ? " Iterations/s and start lag (the open model's " +
        "schedule against what was started, and how late) are of all endpoints." : "") +
      (doc.monitors && monitors ? " The server's charts (below the response times) " +
        "share the time axis; the endpoint picked does not change them." : "")));
    if (doc.monitors && monitors) nodes.push(monitors.section(doc, helpers));

    // the endpoint table
    var rows = sortRows(doc.endpoints || [], this.state.sortKey, this.state.sortDir);
    nodes.push(section("Endpoints", "sd-endpoints", [table(ENDPOINT_COLUMNS, rows, {
      className: "sd-endpoint-table", sortKey: this.state.sortKey, sortDir: this.state.sortDir,
      rowKey: function (r) { return r.key; },
      rowClass: function (r) { return r.key === key ? "sd-selected" : ""; },
      onSort: function (k) {
        if (self.state.sortKey === k) self.state.sortDir = -self.state.sortDir;
        else { self.state.sortKey = k; self.state.sortDir = k === "name" ? 1 : -1; }
        self.draw();
        var th = self.container.querySelector(".sd-endpoint-table th[data-key='" + k + "']");
        if (th) th.focus({ preventScroll: true });  // k is one of our column keys
      },
      onRow: function (r) { self.select(r.key); },
      footer: doc.totals ? Object.assign({}, doc.totals, { method: "", name: "All endpoints" }) : null
    })], "Click a column to sort, a row to chart that endpoint."));

    var server = this._server(doc.endpoints || []);
    if (server) nodes.push(server);

    // the distribution
    var dist = (doc.distributions || {})[key];
    var distBox = el("div", { className: "sd-chart", "data-chart": "distribution" });
    var distChildren = [distBox];
    if (dist && dist.counts && dist.counts.length) {
      this._chart("distribution", distBox, function (t) {
        return barChart(t, { title: "Requests by response time — " +
          (key === AGG ? "all endpoints" : shown), width: width, edges: dist.edges_ms,
          counts: dist.counts });
      });
    } else {
      distChildren = [el("p", { className: "sd-empty", text: "No requests recorded." })];
    }
    nodes.push(section("Response-time distribution", "sd-distribution", distChildren));

    nodes.push(this._failures(doc.failures));
    if (doc.script_errors && doc.script_errors.count) nodes.push(this._scriptErrors(doc.script_errors));
    if (stages.length) nodes.push(this._stages(stages));
    if (doc.regions && Object.keys(doc.regions).length) nodes.push(this._regions(doc.regions));
    if (doc.comparison) nodes.push(this._comparison(doc.comparison, doc.comparison.base
      ? "Compared with run " + doc.comparison.base.run_id : "Comparison"));
    nodes.push(el("footer", { className: "sd-footer", text: "swarmdeck " +
      (((doc.header || {}).versions || {}).swarmdeck || "") + " · generated " +
      fmt.date(doc.generated_at) + " from the results database" }));
    return nodes;
  };

  View.prototype._header = function (doc, word) {
    var h = doc.header || {};
    var facts = [
      ["Host", h.host], ["Locustfile", h.locustfile],
      ["Users", h.shape ? "shape " + h.shape + ((doc.stages || []).length ? ": " +
        doc.stages.map(function (st) { return st.rate == null ? st.users : st.rate + "/s"; }).join(" → ") : "")
        : (h.users == null ? "–" : h.users + (h.spawn_rate ? " (spawn " + h.spawn_rate + "/s)" : ""))],
      ["Started", fmt.date(h.started_at)], ["Ended", h.ended_at ? fmt.date(h.ended_at) : "still running"],
      ["Duration", fmt.duration(h.duration_s)],
      ["Versions", "swarmdeck " + (h.versions || {}).swarmdeck + ", Locust " +
        (h.versions || {}).locust + ", Python " + (h.versions || {}).python],
      ["Git commit", h.git_commit || "–"]
    ];
    if (h.latency === "from_due") {
      facts.push(["Latency", "from when each iteration was due (open model: coordinated omission corrected)"]);
      var it = (h.open_model || {}).iterations;
      if (it) facts.push(["Iterations", fmt.count(it.scheduled) + " due, " + fmt.count(it.started) +
        " started, " + fmt.count(it.dropped) + " dropped; start lag p95 " + fmt.ms(it.lag_p95_ms) + " ms"]);
    }
    if (h.workers) facts.push(["Workers", String(h.workers)]);
    if (h.regions && h.regions.length > 1) facts.push(["Regions", h.regions.join(", ")]);
    var dl = el("dl", { className: "sd-facts" });
    facts.forEach(function (f) { append(dl, [el("dt", { text: f[0] }), el("dd", { text: f[1] })]); });
    var tags = Object.keys(h.tags || {}).sort().map(function (k) {
      return el("span", { className: "sd-tag", text: k + "=" + h.tags[k] });
    });
    var plan = Object.keys(h.plan || {}).sort().map(function (k) {
      var v = h.plan[k];
      return el("span", { className: "sd-plan-item" }, [el("b", { text: k }), " ",
        typeof v === "object" ? JSON.stringify(v) : String(v)]);
    });
    return el("header", { className: "sd-header" }, [
      el("h1", null, [word + " " + h.run_id + " ", badge(h.status || "?", statusKind(h.status))]),
      h.message ? el("p", { className: "sd-message", text: h.message }) : null,
      dl,
      tags.length ? el("div", { className: "sd-tags" }, tags) : null,
      plan.length ? el("details", { className: "sd-plan" },
        [el("summary", { text: "Plan" })].concat(plan)) : null,
      (h.warnings || []).length ? el("ul", { className: "sd-warnings" },
        h.warnings.map(function (w) { return el("li", { text: w }); })) : null
    ]);
  };

  View.prototype._totals = function (t) {
    t = t || {};
    var tiles = [["Requests", fmt.count(t.requests)],
                 ["Failures", fmt.count(t.failures) + " (" + fmt.pct(t.failure_pct) + ")"],
                 ["Requests/s", fmt.rate(t.rps)], ["p50", fmt.ms(t.p50_ms) + " ms"],
                 ["p95", fmt.ms(t.p95_ms) + " ms"], ["p99", fmt.ms(t.p99_ms) + " ms"],
                 ["Max", fmt.ms(t.max_ms) + " ms"]];
    if (t.failed_latency) tiles.push(["Failed p95", fmt.ms(t.failed_latency.p95_ms) + " ms"]);
    if (t.service_latency) tiles.push(["Service p95", fmt.ms(t.service_latency.p95_ms) + " ms"]);
    return el("div", { className: "sd-tiles" }, tiles.map(function (x) {
      return el("div", { className: "sd-tile" }, [el("div", { className: "sd-tile-label", text: x[0] }),
                                                  el("div", { className: "sd-tile-value", text: x[1] })]);
    }));
  };

  View.prototype._thresholds = function (items) {
    var failed = items.filter(function (r) { return !r.passed; }).length;
    return section("Thresholds", "sd-thresholds", [table([
      { key: "passed", label: "Result", render: function (r) {
        return badge(r.passed ? "pass" : "FAIL", r.passed ? "ok" : "bad"); } },
      { key: "expr", label: "Threshold", render: function (r) {
        return el("code", { text: r.expr + (r.abort ? " (aborts the run)" : "") }); } },
      { key: "endpoint", label: "Endpoint", render: function (r) { return r.endpoint || "all"; } },
      { key: "observed_text", label: "Observed", num: true, render: function (r) {
        return r.observed_text || "no data"; } }
    ], items)], failed ? failed + " of " + items.length + " failed." : "All " + items.length + " held.");
  };

  View.prototype._findings = function (items) {
    var order = { error: 0, warning: 1, info: 2 };
    var rank = function (f) { return f.severity in order ? order[f.severity] : 3; };
    items = items.slice().sort(function (a, b) { return rank(a) - rank(b); });
    return section("Findings", "sd-findings", [el("ul", { className: "sd-findings" }, items.map(function (f) {
      return el("li", { className: "sd-finding sd-sev-" + f.severity }, [
        el("div", null, [badge(f.severity, { error: "bad", warning: "warn", info: "info" }[f.severity] || "info"),
                         " ", el("code", { text: f.code }), f.endpoint ? " on " : null,
                         f.endpoint ? el("span", { className: "sd-name", text: f.endpoint }) : null]),
        el("p", { text: f.message }),
        f.fix ? el("p", { className: "sd-fix" }, [el("b", { text: "Fix: " }), f.fix]) : null,
        f.evidence && Object.keys(f.evidence).length ? el("details", null, [
          el("summary", { text: "Evidence" }), el("pre", { text: JSON.stringify(f.evidence, null, 2) })]) : null
      ]);
    }))]);
  };

  View.prototype._failures = function (failures) {
    failures = failures || { total: 0, reasons: [] };
    if (!failures.reasons || !failures.reasons.length) {
      return section("Failures", "sd-failures", [el("p", { className: "sd-empty", text: "No failures." })]);
    }
    var note = fmt.count(failures.total) + " failures, grouped by reason" +
      (failures.more_reasons ? " (the " + failures.reasons.length + " most frequent reasons; " +
        failures.more_reasons + " more not shown)" : "") + ".";
    return section("Failures", "sd-failures", [table([
      { key: "count", label: "Count", num: true, render: function (r) { return fmt.count(r.count); } },
      { key: "reason", label: "Reason", render: function (r) { return el("span", { className: "sd-reason", text: r.reason }); } },
      { key: "endpoints", label: "Endpoints", render: function (r) {
        return el("ul", { className: "sd-plain" }, r.endpoints.map(function (e) {
          return el("li", null, [el("span", { className: "sd-name", text: e.label != null ? e.label : e.key }),
                                 " × " + fmt.count(e.count)]);
        }));
      } }
    ], failures.reasons, { className: "sd-failure-table" })], note);
  };

  // exceptions raised by the script's tasks, grouped by type and place (the JSON summary's)
  View.prototype._scriptErrors = function (se) {
    var groups = se.groups || [];
    var grouped = groups.reduce(function (n, g) { return n + g.count; }, 0);
    var note = fmt.count(se.count) + " exceptions in the script's tasks (each ended its task early)" +
      (se.count > grouped ? "; " + fmt.count(se.count - grouped) + " counted by Locust without their type and place" : "") +
      "." + (se.log ? " Full tracebacks: " + se.log : "");
    return section("Script errors", "sd-script-errors", [table([
      { key: "count", label: "Count", num: true, render: function (r) { return fmt.count(r.count); } },
      { key: "type", label: "Type", render: function (r) { return el("code", { text: r.type }); } },
      { key: "where", label: "Where", render: function (r) {
        return el("span", { className: "sd-name", text: r.line ? r.file + ":" + r.line : (r.file || "?") }); } },
      { key: "first_at", label: "First", render: function (r) { return fmt.date(new Date(r.first_at * 1000).toISOString()); } },
      { key: "last_at", label: "Last", render: function (r) { return fmt.date(new Date(r.last_at * 1000).toISOString()); } },
      { key: "message", label: "Sample message", render: function (r) {
        return el("span", { className: "sd-reason", text: r.message }); } }
    ], groups, { className: "sd-script-error-table" })], note);
  };

  View.prototype._stages = function (stages) {
    return section("Stages", "sd-stages", [table([
      { key: "name", label: "Stage" },
      { key: "start_s", label: "From", num: true, render: function (r) { return fmt.duration(r.start_s); } },
      { key: "end_s", label: "To", num: true, render: function (r) { return fmt.duration(r.end_s); } },
      { key: "users", label: "Users", num: true },
      { key: "requests", label: "Requests", num: true, render: function (r) { return fmt.count(r.requests); } },
      { key: "rps", label: "Req/s", num: true, render: function (r) { return fmt.rate(r.rps); } },
      { key: "failure_pct", label: "Fail %", num: true, render: function (r) { return fmt.pct(r.failure_pct); } },
      { key: "p50_ms", label: "p50 ms", num: true, render: function (r) { return fmt.ms(r.p50_ms); } },
      { key: "p95_ms", label: "p95 ms", num: true, render: function (r) { return fmt.ms(r.p95_ms); } },
      { key: "p99_ms", label: "p99 ms", num: true, render: function (r) { return fmt.ms(r.p99_ms); } }
    ], stages)]);
  };

  // Where the time went (Server-Timing): per endpoint whose server sent the header, the
  // client's mean latency split into the server's part (db, tpl, the rest of the app) and
  // what lies in front of it (network, queueing), as a bar and as numbers.
  var SPLIT = [["db", "sd-split-db"], ["tpl", "sd-split-tpl"], ["app", "sd-split-app"],
               ["rest", "sd-split-rest"]];

  function splitParts(s) {
    var share = function (n) { var m = (s.metrics || {})[n]; return m && isNum(m.share_ms) ? m.share_ms : 0; };
    var db = share("db"), tpl = share("tpl");
    var app = isNum(s.server_mean_ms) ? Math.max(s.server_mean_ms - db - tpl, 0) : 0;
    var rest = isNum(s.rest_mean_ms) ? Math.max(s.rest_mean_ms, 0) : 0;
    return { db: db, tpl: tpl, app: app, rest: rest };
  }

  function splitBar(s) {
    var parts = splitParts(s), total = parts.db + parts.tpl + parts.app + parts.rest;
    if (!(total > 0)) return "–";
    var names = { db: "db", tpl: "templates", app: "other app time", rest: "network and queueing" };
    return el("div", { className: "sd-split", title: SPLIT.map(function (p) {
      return names[p[0]] + " " + fmt.ms(parts[p[0]]) + " ms"; }).join(", ") },
      SPLIT.map(function (p) {
        var span = el("span", { className: p[1] });
        span.style.width = (100 * parts[p[0]] / total).toFixed(1) + "%";  // CSSOM: CSP allows it
        return span;
      }));
  }

  View.prototype._server = function (endpoints) {
    var rows = endpoints.filter(function (e) { return e.server; });
    if (!rows.length) return null;
    var sv = function (k, f) { return function (r) { return f(r.server[k]); }; };
    var metric = function (n) { return function (r) {
      var m = (r.server.metrics || {})[n]; return m ? fmt.ms(m.share_ms) : "–"; }; };
    var q = function (k) { return function (r) { return r.server.queries ? fmt.count(r.server.queries[k]) : "–"; }; };
    var legend = el("p", { className: "sd-split-legend" }, SPLIT.map(function (p) {
      return el("span", null, [el("i", { className: p[1] }), { db: "database", tpl: "templates",
        app: "other app time", rest: "network and queueing in front of the app" }[p[0]]]);
    }));
    return section("Where the time went", "sd-server", [legend, table([
      { key: "name", label: "Endpoint", render: endpointCell },
      { key: "split", label: "Split", render: function (r) { return splitBar(r.server); } },
      { key: "responses", label: "Timed", num: true, render: function (r) {
        return fmt.count(r.server.responses) + (r.server.coverage < 0.995
          ? " (" + Math.round(100 * r.server.coverage) + "%)" : ""); } },
      { key: "client", label: "Client ms", num: true, render: sv("client_mean_ms", fmt.ms) },
      { key: "server", label: "Server ms", num: true, render: sv("server_mean_ms", fmt.ms) },
      { key: "db", label: "db ms", num: true, render: metric("db") },
      { key: "tpl", label: "tpl ms", num: true, render: metric("tpl") },
      { key: "rest", label: "Rest ms", num: true, render: sv("rest_mean_ms", fmt.ms) },
      { key: "q50", label: "Queries p50", num: true, render: q("p50") },
      { key: "q95", label: "p95", num: true, render: q("p95") },
      { key: "qmax", label: "max", num: true, render: q("max") }
    ], rows, { className: "sd-server-table" })],
      "From the Server-Timing header of the successful responses: means per response " +
      "(client = server + rest); queries per request as the server counted them.");
  };

  View.prototype._regions = function (regions) {
    var rows = Object.keys(regions).sort().map(function (k) {
      return Object.assign({}, regions[k], { region: k });
    });
    return section("Regions", "sd-regions", [table([{ key: "region", label: "Region" }]
      .concat(ENDPOINT_COLUMNS.slice(1)), rows)]);
  };

  function changeText(c, pp) {
    if (!c) return "–";
    var unit = pp ? " pp" : "%";
    var v = pp ? c.change_pp : c.change_pct, lo = pp ? c.ci_low_pp : c.ci_low_pct,
        hi = pp ? c.ci_high_pp : c.ci_high_pct;
    if (!isNum(v)) return "–";
    var one = function (x) { var t = x.toFixed(1); return t === "-0.0" ? "0.0" : t; };
    var s = (one(v) !== "0.0" && v > 0 ? "+" : "") + one(v) + unit;
    if (isNum(lo) && isNum(hi)) s += " [" + one(lo) + ", " + one(hi) + "]";
    return s + (c.significant ? " *" : "");
  }

  var VERDICT_KIND = { faster: "ok", slower: "bad", "no significant change": "info",
                       "not enough data": "warn", "only in base": "warn", "only in candidate": "warn" };

  View.prototype._comparison = function (cmp, title) {
    if (cmp.error) {
      return section(title || "Comparison", "sd-comparison",
                     [el("p", { className: "sd-message", text: cmp.error })]);
    }
    var metric = cmp.metric || "p95";
    var rows = (cmp.rows || []).slice().sort(function (a, b) { return (b.overall ? 1 : 0) - (a.overall ? 1 : 0); });
    var side = function (which, k, f) { return function (r) { return r[which] ? f(r[which][k]) : "–"; }; };
    var children = [table([
      { key: "name", label: "Endpoint", render: function (r) {
        return r.overall ? el("b", { text: "All endpoints" }) : endpointCell(r); } },
      { key: "base_p", label: "Base " + metric, num: true, render: side("base", metric + "_ms", fmt.ms) },
      { key: "cand_p", label: "Candidate " + metric, num: true, render: side("candidate", metric + "_ms", fmt.ms) },
      { key: "chg", label: metric + " change [CI]", num: true, render: function (r) {
        return changeText((r.changes || {})[metric]); } },
      { key: "rps", label: "Req/s change", num: true, render: function (r) {
        return changeText((r.changes || {}).rps); } },
      { key: "err", label: "Error rate change", num: true, render: function (r) {
        return changeText((r.changes || {}).error_rate, true); } },
      { key: "verdict", label: "Verdict", render: function (r) {
        return badge(r.verdict, VERDICT_KIND[r.verdict] || "info"); } }
    ], rows, { className: "sd-comparison-table" })];
    if ((cmp.server || []).length) {
      var byEndpoint = {}, order = [];
      cmp.server.forEach(function (x) {
        var label = x.label || (x.method ? x.method + " " : "") + x.name;
        if (!byEndpoint[label]) { byEndpoint[label] = []; order.push(label); }
        var v = function (n) { return n == null ? "–" : x.unit === "queries" ? fmt.count(n) : fmt.ms(n); };
        byEndpoint[label].push(x.unit === "queries" ? v(x.base) + " → " + v(x.candidate) + " queries"
          : x.metric + " " + v(x.base) + " → " + v(x.candidate) + " ms");
      });
      children.push(el("h3", { text: "Server side (medians of what the server said: base → candidate)" }));
      children.push(el("ul", { className: "sd-server-changes" }, order.map(function (label) {
        return el("li", null, [el("b", { text: label }), ": " + byEndpoint[label].join(" · ")]);
      })));
    }
    if ((cmp.budget_failures || []).length) {
      children.push(el("ul", { className: "sd-warnings" }, cmp.budget_failures.map(function (t) {
        return el("li", { text: t }); })));
    }
    var note = "Base run " + (cmp.base || {}).run_id + ", candidate run " + (cmp.candidate || {}).run_id +
      "; intervals at " + Math.round((cmp.confidence || 0.95) * 100) + "% confidence, * = significant" +
      ((cmp.budgets || []).length ? "; budgets " + cmp.budgets.join(", ") + ": " +
        (cmp.passed ? "held" : "FAILED") : "") +
      (cmp.latency === "from_due" ? "; latency from when each iteration was due (open model)" :
       cmp.latency === "mixed" ? "; one run is open-model (latency from the due time), the other " +
         "closed (from the send): their latencies measure different things" : "") + ".";
    return section(title || "Comparison", "sd-comparison", children, note);
  };

  // A comparison without the statistics: the two runs' tables side by side.
  View.prototype._plainComparison = function (base, cand, notice) {
    var byKey = {};
    (base.endpoints || []).forEach(function (e) {
      byKey[e.key] = { key: e.key, label: e.label, method: e.method, name: e.name, b: e }; });
    (cand.endpoints || []).forEach(function (e) {
      (byKey[e.key] = byKey[e.key] || { key: e.key, label: e.label, method: e.method, name: e.name }).c = e; });
    var rows = [{ key: AGG, method: "", name: "All endpoints", b: base.totals, c: cand.totals }]
      .concat(Object.keys(byKey).sort().map(function (k) { return byKey[k]; }));
    var chg = function (k) { return function (r) {
      return r.b && r.c && r.b[k] ? fmt.signedPct(100 * (r.c[k] - r.b[k]) / r.b[k]) : "–"; }; };
    var val = function (s, k, f) { return function (r) { return r[s] ? f(r[s][k]) : "–"; }; };
    return section("Comparison", "sd-comparison", [table([
      { key: "name", label: "Endpoint", render: endpointCell },
      { key: "bp", label: "Base p95", num: true, render: val("b", "p95_ms", fmt.ms) },
      { key: "cp", label: "Candidate p95", num: true, render: val("c", "p95_ms", fmt.ms) },
      { key: "dp", label: "p95 change", num: true, render: chg("p95_ms") },
      { key: "br", label: "Base req/s", num: true, render: val("b", "rps", fmt.rate) },
      { key: "cr", label: "Candidate req/s", num: true, render: val("c", "rps", fmt.rate) },
      { key: "bf", label: "Base fail %", num: true, render: val("b", "failure_pct", fmt.pct) },
      { key: "cf", label: "Candidate fail %", num: true, render: val("c", "failure_pct", fmt.pct) }
    ], rows, { className: "sd-comparison-table" })],
      (notice ? notice + " " : "") + "Changes without confidence intervals: do not read small ones as real.");
  };

  View.prototype._compare = function (doc, width) {
    var self = this, base = doc.base, cand = doc.candidate, nodes = [];
    var heads = el("div", { className: "sd-compare-heads" }, [
      el("div", { className: "sd-compare-side sd-base" }, [this._header(base, "Base: run"), this._totals(base.totals)]),
      el("div", { className: "sd-compare-side sd-candidate" }, [this._header(cand, "Candidate: run"), this._totals(cand.totals)])
    ]);
    nodes.push(heads);
    nodes.push(doc.comparison ? this._comparison(doc.comparison, "Comparison")
                              : this._plainComparison(base, cand, doc.notice));
    if (doc.comparison && (doc.comparison.monitors || []).length && global.SwarmdeckMonitors) {
      nodes.push(global.SwarmdeckMonitors.means(doc.comparison, { fmt: fmt, el: el,
        section: section, table: table }));
    }
    var key = this.state.endpoint;
    var lb = linesFor(base, key), lc = linesFor(cand, key);
    var bl = "run " + base.header.run_id, cl = "run " + cand.header.run_id;
    var overlay = function (fields, labels, bLines, cLines) {
      var b = [bLines.t || []], c = [cLines.t || []];
      fields.forEach(function (f) { b.push(bLines[f] || []); c.push(cLines[f] || []); });
      var joined = global.uPlot.join([b, c]);
      var lines = [];
      fields.forEach(function (f, i) {
        lines.push({ label: labels[i] + " " + bl, data: joined[1 + i], color: COLORS.base,
                     dash: i ? [6, 4] : undefined });
      });
      fields.forEach(function (f, i) {
        lines.push({ label: labels[i] + " " + cl, data: joined[1 + fields.length + i],
                     color: COLORS.cand, dash: i ? [6, 4] : undefined });
      });
      return { x: joined[0], lines: lines };
    };
    var charts = el("div", { className: "sd-charts" });
    var half = halfWidth(width);
    var mk = function (name, half_, make) {
      var box = el("div", { className: "sd-chart", "data-chart": name });
      charts.appendChild(box);
      self._chart(name, box, make, half_);
    };
    var suffix = key === AGG ? "" : " — " + labelOf([base, cand], key);
    var stages = cand.stages || [];  // the candidate's shape (the base's, when compared, is usually the same)
    var users = overlay(["users"], ["users"], base.timeline || {}, cand.timeline || {});
    mk("users", true, function (t) {
      return lineChart(t, { title: "Users", width: half, x: users.x, lines: users.lines,
                            format: fmt.count, spanGaps: true, integer: true, stages: stages });
    });
    var rps = overlay(["rps"], ["req/s"], lb, lc);
    mk("rps", true, function (t) {
      return lineChart(t, { title: "Requests/s" + suffix, width: half, x: rps.x, lines: rps.lines,
                            format: fmt.rate, spanGaps: true, stages: stages });
    });
    var lat = overlay(["p95", "p50"], ["p95", "p50"], lb, lc);
    mk("latency", false, function (t) {
      return lineChart(t, { title: "Response time (ms)" + suffix, width: width, x: lat.x, height: 260,
                            lines: lat.lines, format: fmt.ms, spanGaps: true, stages: stages });
    });
    nodes.push(section("Both runs over time", "sd-over-time",
      [el("div", { className: "sd-toolbar" }, this._picker(this._endpointKeys([base, cand]), [base, cand])), charts],
      "Time since each run's start; grey: base (run " + base.header.run_id + "), blue: candidate (run " +
      cand.header.run_id + "); dashed: p50."));
    nodes.push(el("footer", { className: "sd-footer", text: "swarmdeck · generated " +
      fmt.date(doc.generated_at) + " from the results database" }));
    return nodes;
  };

  var last = null;
  global.SwarmdeckReport = {
    render: function (container, doc, options) {
      if (last && last.container === container) last.destroy();
      last = new View(container, doc, options);
      global.SwarmdeckReport.last = last;
      return last;
    },
    update: function (doc) { if (last) last.update(doc); return last; },
    format: fmt,
    el: el,
    View: View
  };
})(window);
