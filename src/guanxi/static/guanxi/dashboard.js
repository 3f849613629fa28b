/* Dashboard chart: sign-ins per day (data from the audit log, embedded with json_script). */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("login-chart");
    var dataEl = document.getElementById("login-chart-data");
    if (!el || !dataEl || typeof window.echarts === "undefined") return;
    var data = JSON.parse(dataEl.textContent);
    var primary = getComputedStyle(document.documentElement).getPropertyValue("--tblr-primary").trim() || "#066fd1";
    var chart = window.echarts.init(el, null, { renderer: "svg" });
    chart.setOption({
      grid: { left: 32, right: 16, top: 16, bottom: 24 },
      tooltip: { trigger: "axis" },
      xAxis: { type: "category", data: data.labels, axisTick: { show: false } },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ type: "bar", data: data.values, itemStyle: { color: primary }, barMaxWidth: 28 }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
