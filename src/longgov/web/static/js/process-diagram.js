// Draws the item's BPMN process with the bpmn-js viewer (served by the platform; CSP forbids inline scripts).
(function () {
  "use strict";
  function init() {
    var holder = document.getElementById("process-diagram");
    if (!holder || typeof window.BpmnJS === "undefined") {
      return;
    }
    var viewer = new window.BpmnJS({ container: holder });
    fetch(holder.getAttribute("data-src"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function (result) {
        viewer.get("canvas").zoom("fit-viewport");
        holder.setAttribute("data-state", "ready");
        var warnings = (result && result.warnings) || [];
        holder.setAttribute("data-warnings", String(warnings.length));
        warnings.forEach(function (w) { console.warn("bpmn-js: " + w.message); });
      })
      .catch(function (error) {
        holder.setAttribute("data-state", "error");
        holder.textContent = "流程图暂时无法显示（" + error.message + "），可下载流程文件查看。";
      });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
