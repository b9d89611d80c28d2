// Long names (items, departments) would overlap under the bars: at most eight characters, the rest
// in the table beneath and the tooltip.
function shortLabel(v) { return v.length > 8 ? v.slice(0, 8) + "…" : v; }
// Dashboard charts: each statistics table carries its rows as JSON; ECharts draws volume and rates.
// The table beneath every chart holds the same numbers, so nothing depends on this script.
document.addEventListener("DOMContentLoaded", function () {
  if (typeof echarts === "undefined") return;
  var rates = document.getElementById("data-rates");
  var ratesHolder = document.getElementById("chart-rates");
  if (rates && ratesHolder) {
    var rrows = JSON.parse(rates.textContent || "[]");
    var english = document.documentElement.lang === "en";
    if (rrows.length) {
      var rc = echarts.init(ratesHolder, null, { renderer: "svg" });
      var line = function (name, key) { return { name: name, type: "bar", data: rrows.map(function (r) { return r[key]; }) }; };
      rc.setOption({
        animation: false,
        tooltip: { trigger: "axis" },
        legend: { top: 0 },
        grid: { left: 48, right: 24, top: 40, bottom: 10, containLabel: true },
        xAxis: { type: "category", data: rrows.map(function (r) { return r.label; }), axisLabel: { rotate: rrows.length > 4 ? 35 : 0, interval: 0, formatter: shortLabel } },
        yAxis: { type: "value", name: "%", max: 100 },
        series: [
          line(english ? "Response %" : "响应率%", "response_value"),
          line(english ? "On time %" : "按时办结率%", "on_time_value"),
          line(english ? "First-time %" : "一次办结率%", "first_time_value"),
          line(english ? "Satisfaction %" : "满意率%", "satisfaction_value")
        ]
      });
      window.addEventListener("resize", function () { rc.resize(); });
    }
  }
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
      grid: { left: 48, right: 48, top: 40, bottom: 10, containLabel: true },
      xAxis: { type: "category", data: rows.map(function (r) { return r.label; }), axisLabel: { rotate: rows.length > 4 ? 35 : 0, interval: 0, formatter: shortLabel } },
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
