// Before/after bar chart of the reduction metrics page (data from #metrics-data; CSP forbids inline scripts).
(function () {
  "use strict";
  function init() {
    var holder = document.getElementById("metrics-chart");
    var source = document.getElementById("metrics-data");
    if (!holder || !source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent || "{}");
    var chart = window.echarts.init(holder);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["第 " + data.from_version + " 版", "第 " + data.to_version + " 版"] },
      grid: { left: 40, right: 20, bottom: 80 },
      xAxis: { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: 30 } },
      yAxis: { type: "value" },
      series: [
        { name: "第 " + data.from_version + " 版", type: "bar", data: data.before },
        { name: "第 " + data.to_version + " 版", type: "bar", data: data.after }
      ]
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
