// Before/after bars of a bundle's metrics page (data from #metrics-data; CSP forbids inline scripts).
(function () {
  "use strict";
  function init() {
    var holder = document.getElementById("metrics-chart");
    var source = document.getElementById("metrics-data");
    if (!holder || !source || typeof window.echarts === "undefined") {
      return;
    }
    var data = JSON.parse(source.textContent || "{}");
    var narrow = holder.clientWidth < 600;
    var chart = window.echarts.init(holder);
    chart.setOption({
      tooltip: { trigger: "axis" },
      legend: { data: ["分别办理", "一件事", "目标"] },
      grid: narrow ? { left: 90, right: 16, top: 36, bottom: 24 } : { left: 40, right: 20, bottom: 70 },
      xAxis: narrow ? { type: "value" } : { type: "category", data: data.labels, axisLabel: { interval: 0, rotate: 20 } },
      yAxis: narrow ? { type: "category", data: data.labels, inverse: true } : { type: "value" },
      series: [
        { name: "分别办理", type: "bar", data: data.before, itemStyle: { color: "#98a2b3" } },
        { name: "一件事", type: "bar", data: data.after },
        { name: "目标", type: "scatter", symbol: "diamond", symbolSize: 10, data: data.target }
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
