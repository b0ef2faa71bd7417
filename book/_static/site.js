// Site-wide reading aids, offline (registered automatically: jupyter-book adds every _static/*.js).
// - every figure image opens full size in a new tab (a link to its own source; images given inline
//   as data: URIs are opened as a blob, which browsers allow);
// - a table wider than the column scrolls inside its own container.
(function () {
  "use strict";
  function openData(src) {
    fetch(src).then(function (r) { return r.blob(); })
      .then(function (b) { window.open(URL.createObjectURL(b), "_blank", "noopener"); });
  }
  function zoomable(img) {
    if (img.closest("a")) { return; }
    var src = img.getAttribute("src") || "";
    var a = document.createElement("a");
    a.className = "aelib-zoom";
    a.title = "Open the full-size image in a new tab";
    a.target = "_blank";
    a.rel = "noopener";
    a.href = src.indexOf("data:") === 0 ? "#" : img.src;
    if (src.indexOf("data:") === 0) {
      a.addEventListener("click", function (e) { e.preventDefault(); openData(src); });
    }
    img.parentNode.insertBefore(a, img);
    a.appendChild(img);
  }
  function scrollable(table) {
    if (table.closest(".pst-scrollable-table-container, .claims-wrap, .aelib-scroll")) { return; }
    var d = document.createElement("div");
    d.className = "aelib-scroll";
    table.parentNode.insertBefore(d, table);
    d.appendChild(table);
  }
  document.addEventListener("DOMContentLoaded", function () {
    var main = document.querySelector(".bd-article") || document.querySelector("main") || document.body;
    main.querySelectorAll("figure img, div.figure img, .cell_output img, .output img").forEach(zoomable);
    main.querySelectorAll("table").forEach(scrollable);
  });
})();
