/* swarmdeck report: the target side's monitor series (doc.monitors, built by
 * swarmdeck.report.monitor_document) as charts on the run's time axis, one chart per unit,
 * and the "Server" table (mean and peak per series, each source's state). Loaded after
 * report.js, which calls SwarmdeckMonitors.charts and .section with its own helpers.
 * Series names and specs come from the run: text nodes only, never innerHTML.
 */
(function (global) {
  "use strict";

  var PALETTE = ["#2f80ed", "#eb5757", "#27ae60", "#f2994a", "#9b51e0", "#56ccf2",
                 "#b3261e", "#219653", "#6d4c41", "#4f4f4f"];
  var GROUPS = [
    { unit: "%", key: "pct", title: "Server: CPU, utilization and ratios (%)" },
    { unit: "/s", key: "rate", title: "Server: per second" },
    { unit: "ms", key: "ms", title: "Server: durations (ms)" },
    { unit: "B", key: "bytes", title: "Server: memory (bytes)" },
    { unit: "B/s", key: "bytes-rate", title: "Server: bytes per second" },
    { unit: "", key: "count", title: "Server: counts" }
  ];

  function isNum(v) { return typeof v === "number" && isFinite(v); }

  function formatter(unit, fmt) {
    if (unit === "%") return function (v) { return isNum(v) ? v.toFixed(1) + "%" : "–"; };
    if (unit === "B") return fmt.bytes;
    if (unit === "B/s") return function (v) { return isNum(v) ? fmt.bytes(Math.round(v)) + "/s" : "–"; };
    if (unit === "ms") return fmt.ms;
    if (unit === "/s") return fmt.rate;
    return function (v) {
      return isNum(v) ? (Math.abs(v) >= 100 || v === Math.round(v) ? fmt.count(v) : v.toFixed(2)) : "–";
    };
  }

  // The charts: non-worker series grouped by unit, then the per-worker CPU and RSS.
  function chartGroups(series) {
    var out = [];
    GROUPS.forEach(function (g) {
      var members = series.filter(function (s) { return !s.worker && s.unit === g.unit; });
      if (members.length) out.push({ key: g.key, unit: g.unit, title: g.title, series: members });
    });
    var other = series.filter(function (s) {
      return !s.worker && !GROUPS.some(function (g) { return g.unit === s.unit; });
    });
    if (other.length) out.push({ key: "other", unit: "", title: "Server: other", series: other });
    [["%", "workers-cpu", "Workers: CPU (% of one core)"],
     ["B", "workers-rss", "Workers: memory (RSS)"]].forEach(function (w) {
      var members = series.filter(function (s) { return s.worker && s.unit === w[0]; });
      if (members.length) out.push({ key: w[1], unit: w[0], title: w[2], series: members });
    });
    return out;
  }

  function charts(doc, h) {
    var m = doc.monitors || {};
    var x = m.t || [];
    chartGroups(m.series || []).forEach(function (g) {
      h.mk("monitor-" + g.key, g.title, false, function (target) {
        return h.lineChart(target, {
          title: g.title, width: h.width, x: x, stages: h.stages, outages: h.outages,
          format: formatter(g.unit, h.fmt), height: 200, spanGaps: false,
          lines: g.series.map(function (s, i) {
            return { label: s.name, data: s.values, color: PALETTE[i % PALETTE.length] };
          })
        });
      });
    });
  }

  function section(doc, h) {
    var m = doc.monitors || {};
    var rows = (m.series || []).filter(function (s) { return !s.worker; });
    var children = [h.table([
      { key: "name", label: "Series", render: function (r) { return h.el("code", { text: r.name }); } },
      { key: "mean", label: "Mean", num: true, render: function (r) { return formatter(r.unit, h.fmt)(r.mean); } },
      { key: "peak", label: "Peak", num: true, render: function (r) { return formatter(r.unit, h.fmt)(r.peak); } },
      { key: "source", label: "Source", render: function (r) { return h.el("span", { className: "sd-name", text: r.source }); } }
    ], rows, { className: "sd-monitor-table" })];
    var sources = m.sources || [];
    children.push(h.table([
      { key: "spec", label: "Monitor", render: function (r) { return h.el("span", { className: "sd-name", text: r.spec }); } },
      { key: "status", label: "State", render: function (r) {
        return h.badge(r.status, r.status === "ok" ? "ok" : "warn"); } },
      { key: "samples", label: "Seconds sampled", num: true, render: function (r) { return h.fmt.count(r.samples); } },
      { key: "gaps", label: "Gaps", render: function (r) {
        return (r.gaps || []).map(function (g) {
          return h.fmt.duration(g[0]) + "–" + h.fmt.duration(g[1]); }).join(", ") || "none"; } },
      { key: "message", label: "Last error", render: function (r) {
        return h.el("span", { className: "sd-reason", text: r.message || "" }); } }
    ], sources, { className: "sd-monitor-sources" }));
    sources.forEach(function (src) {
      if (!(src.top_queries || []).length) return;
      children.push(h.el("h3", { text: "Top statements during the run (" + src.spec + ")" }));
      children.push(h.table([
        { key: "total_ms", label: "Total ms", num: true, render: function (r) { return h.fmt.ms(r.total_ms); } },
        { key: "calls", label: "Calls", num: true, render: function (r) { return h.fmt.count(r.calls); } },
        { key: "mean_ms", label: "Mean ms", num: true, render: function (r) { return h.fmt.ms(r.mean_ms); } },
        { key: "query", label: "Statement", render: function (r) { return h.el("code", { text: r.query }); } }
      ], src.top_queries, { className: "sd-top-queries" }));
    });
    var workers = (m.series || []).length - rows.length;
    return h.section("Server", "sd-server", children,
      "What the target was doing, sampled every second (docs/monitors.md); the charts are " +
      "under the response times above." + (workers ? " " + workers + " per-worker series are charted only." : ""));
  }

  // A comparison's monitor means side by side (swarmdeck compare's "Server means").
  function means(cmp, h) {
    var fmtOf = function (r) { return formatter(r.unit, h.fmt); };
    return h.section("Server means", "sd-server-means", [h.table([
      { key: "name", label: "Series", render: function (r) { return h.el("code", { text: r.name }); } },
      { key: "base_mean", label: "Base", num: true, render: function (r) { return fmtOf(r)(r.base_mean); } },
      { key: "candidate_mean", label: "Candidate", num: true, render: function (r) { return fmtOf(r)(r.candidate_mean); } },
      { key: "change_pct", label: "Change", num: true, render: function (r) { return h.fmt.signedPct(r.change_pct); } }
    ], cmp.monitors, { className: "sd-monitor-means" })],
      "Each monitor series' mean in the base and the candidate run (no verdict: context for the comparison above).");
  }

  global.SwarmdeckMonitors = { charts: charts, section: section, means: means,
                               groups: chartGroups };
})(window);
