/* swarmdeck report: an open-model run's iterations (doc.iterations, built by
 * swarmdeck.report.iterations_document) as two charts on the run's time axis, under the
 * response times: iterations per second scheduled (the schedule), started and dropped, and
 * the start lag's p95 (how late a user picked an iteration up). A closed-model run has no
 * doc.iterations and no such charts. Loaded after report.js, which calls
 * SwarmdeckIterations.charts with its own helpers (as monitors.js).
 */
(function (global) {
  "use strict";

  var COLORS = { scheduled: "#8a94a6", started: "#2f80ed", dropped: "#eb5757", lag: "#f2994a" };

  function charts(doc, h) {
    var it = doc.iterations;
    if (!it) return;
    var x = it.t || [];
    h.mk("iterations", "Iterations/s", true, function (target) {
      return h.lineChart(target, {
        title: "Iterations/s: scheduled, started, dropped", width: h.half, x: x,
        stages: h.stages, outages: h.outages, format: h.fmt.rate, spanGaps: false,
        lines: [{ label: "scheduled/s", data: it.scheduled || [], color: COLORS.scheduled, dash: [6, 4] },
                { label: "started/s", data: it.started || [], color: COLORS.started },
                { label: "dropped/s", data: it.dropped || [], color: COLORS.dropped }]
      });
    });
    h.mk("start-lag", "Start lag p95", true, function (target) {
      return h.lineChart(target, {
        title: "Start lag p95 (ms): when a user started an iteration, after it was due",
        width: h.half, x: x, stages: h.stages, outages: h.outages, format: h.fmt.ms,
        spanGaps: false,
        lines: [{ label: "start lag p95", data: it.lag_p95_ms || [], color: COLORS.lag }]
      });
    });
  }

  global.SwarmdeckIterations = { charts: charts };
})(window);
