// Dashboard charts: each statistics table carries its rows as JSON; ECharts draws volume and rates.
// The table beneath every chart holds the same numbers, so nothing depends on this script.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof echarts === "undefined") return;
  document.querySelectorAll("section.stat").forEach(function (section) {
    var id = section.id.replace("stat-", "");
    var holder = document.getElementById("chart-" + id);
    var data = document.getElementById("data-" + id);
    if (!holder || !data) return;
    var rows = JSON.parse(data.textContent || "[]");
    var en = document.documentElement.lang === "en";
    var chart = echarts.init(holder, null, { renderer: "svg" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 48, top: 40, bottom: 70 },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }), axisLabel: { rotate: rows.length > 6 ? 35 : 0, interval: 0 } },
      yAxis: [{ type: "value", name: en ? "cases" : "件" }, { type: "value", name: "%", max: 100 }],
      series: [
        { name: en ? "Accepted" : "受理量", type: "bar", data: rows.map(function (r) { return r.accepted; }) },
        { name: en ? "Decided" : "办结量", type: "bar", data: rows.map(function (r) { return r.decided; }) },
        { name: en ? "On time %" : "按时办结率%", type: "line", yAxisIndex: 1, data: rows.map(function (r) { return r.on_time_value; }) },
        { name: en ? "Satisfaction %" : "满意率%", type: "line", yAxisIndex: 1, data: rows.map(function (r) { return r.satisfaction_value; }) }
      ]
    });
    chart.on("click", function (p) {
      var row = rows[p.dataIndex];
      if (row && row.drill) window.location.href = row.drill;
    });
    window.addEventListener("resize", function () { chart.resize(); });
  });
});
