(function () {
  "use strict";
  var data = document.getElementById("swarmdeck-data");
  var root = document.getElementById("swarmdeck-report");
  try {
    window.SwarmdeckReport.render(root, JSON.parse(data.textContent), {});
  } catch (error) {
    var p = document.createElement("p");
    p.className = "sd-error";
    p.textContent = "This report could not be drawn: " + error;
    root.replaceChildren(p);
    throw error;
  }
})();
