// What the profile and priorities pages share: fetching the API, number formats, tables (the
// text alternative of every chart), colour-blind-safe colours, and Chart.js line charts with the
// October 2015 series break marked. Loaded as a classic script before area.js / priorities.js.
"use strict";

const Figures = (() => {
  // Okabe & Ito's palette: distinguishable with every common colour-vision deficiency.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#000000",
                   "#F0E442"];
  // Viridis in five steps: ordered in lightness, readable in greyscale and by colour-blind readers.
  const SEQUENTIAL = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];

  class ApiError extends Error {}

  async function getJSON(url) {
    const response = await fetch(url, {headers: {Accept: "application/json, application/geo+json"}});
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new ApiError(body.detail || `${url}: HTTP ${response.status}`);
    return body;
  }

  const number = (value, digits = 0) => value === null || value === undefined || Number.isNaN(value)
    ? "–" : Number(value).toLocaleString("en-GB", {minimumFractionDigits: digits, maximumFractionDigits: digits});
  const percent = (share, digits = 1) => share === null || share === undefined ? "–" : number(share * 100, digits) + "%";
  const money = (value) => value === null || value === undefined ? "–" : "£" + number(value, 2);

  function element(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  // A table of `rows` (arrays of cells already formatted); the first column is a row header.
  function table(caption, headers, rows, className = "figures") {
    const head = element("tr", {}, ...headers.map((h) => element("th", {scope: "col"}, h)));
    const body = rows.map((cells) => element("tr", {},
      element("th", {scope: "row"}, String(cells[0])),
      ...cells.slice(1).map((c) => element("td", {}, String(c)))));
    return element("table", {class: className}, element("caption", {}, caption),
                   element("thead", {}, head), element("tbody", {}, ...body));
  }

  function notice(container, message) {
    container.replaceChildren(element("p", {class: "notice"}, message));
  }

  // Draws a dashed vertical line between two x labels with a caption: the series break.
  const seriesBreak = {
    id: "seriesBreak",
    afterDatasetsDraw(chart, _args, options) {
      const labels = chart.data.labels, at = labels.indexOf(options.after);
      if (!options.after || at < 0 || at + 1 >= labels.length) return;
      const x = (chart.scales.x.getPixelForValue(at) + chart.scales.x.getPixelForValue(at + 1)) / 2;
      const {top, bottom} = chart.chartArea, ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#000";
      ctx.setLineDash([4, 4]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = "#000";
      ctx.font = "12px sans-serif";
      ctx.textAlign = "left";
      ctx.fillText(options.label, x + 4, top + 12);
      ctx.restore();
    },
  };

  // series: [{label, values (one per label, null where none), colour (index), style (dash index)}]
  function lineChart(canvas, labels, series, {yTitle, breakAfter, breakLabel} = {}) {
    const dash = [[], [6, 3], [2, 2], [8, 3, 2, 3]];
    return new Chart(canvas, {
      type: "line",
      data: {
        labels,
        datasets: series.map((s, i) => ({
          label: s.label, data: s.values, spanGaps: false,
          borderColor: PALETTE[(s.colour ?? i) % PALETTE.length], backgroundColor: PALETTE[(s.colour ?? i) % PALETTE.length],
          borderDash: dash[(s.style ?? 0) % dash.length], pointStyle: ["circle", "rect", "triangle", "rectRot"][(s.colour ?? i) % 4],
          pointRadius: 4, borderWidth: 2,
        })),
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false,
        scales: {y: {title: {display: Boolean(yTitle), text: yTitle}, beginAtZero: true}},
        plugins: {seriesBreak: {after: breakAfter, label: breakLabel || ""}, legend: {position: "bottom"}},
      },
      plugins: [seriesBreak],
    });
  }

  function barChart(canvas, labels, series, {yTitle} = {}) {
    return new Chart(canvas, {
      type: "bar",
      data: {labels, datasets: series.map((s, i) => ({label: s.label, data: s.values,
                                                       backgroundColor: PALETTE[i % PALETTE.length]}))},
      options: {animation: false, responsive: true, maintainAspectRatio: false,
                scales: {y: {title: {display: Boolean(yTitle), text: yTitle}, beginAtZero: true}},
                plugins: {legend: {position: "bottom"}}},
    });
  }

  // A chart's canvas with its text alternative: an aria-label naming it and the table beneath.
  function chartFigure(container, title, tableNode) {
    const canvas = element("canvas", {role: "img", "aria-label": `${title}: chart; the same figures are in the table below it`});
    const figure = element("figure", {class: "chart"},
      element("figcaption", {}, title), element("div", {class: "chart-box"}, canvas), tableNode);
    container.append(figure);
    return canvas;
  }

  // A MapLibre map with no basemap: a plain background, kindmap's own district boundaries (vector
  // tiles) drawn above `under` and below `over`, fitted to `bounds`.
  function boundaryMap(container, bounds, sources, under, over = []) {
    return new maplibregl.Map({
      container, bounds, fitBoundsOptions: {padding: 20},
      attributionControl: {compact: false,
                           customAttribution: "Boundaries: ONS (OGL v3), contains OS data © Crown copyright 2023"},
      style: {
        version: 8,
        sources: {...sources, authorities: {type: "vector", minzoom: 0, maxzoom: 14,
          tiles: [`${location.origin}/collections/areas/tiles/WebMercatorQuad/{z}/{x}/{y}?level=ltla`]}},
        layers: [
          {id: "background", type: "background", paint: {"background-color": "#f4f4f0"}},
          ...under,
          {id: "authorities", type: "line", source: "authorities", "source-layer": "areas",
           paint: {"line-color": "#777", "line-width": 0.7}},
          ...over,
        ],
      },
    });
  }

  // Keyboard access to the map: arrow keys pan, +/- zoom (MapLibre's own handlers when focused).
  function focusableMap(map, label) {
    const canvas = map.getCanvas();
    canvas.setAttribute("tabindex", "0");
    canvas.setAttribute("aria-label", label);
    canvas.setAttribute("role", "application");
  }

  // Checkboxes marked data-joins="name" submit as one comma-separated parameter (the API's
  // grammar; a repeated parameter is refused), through the form's hidden input of that name.
  function joinCheckboxes(form) {
    const join = () => {
      for (const hidden of form.querySelectorAll("input[type=hidden]")) {
        const boxes = [...form.querySelectorAll(`input[data-joins="${hidden.name}"]:checked`)];
        if (boxes.length) hidden.value = boxes.map((b) => b.value).join(",");
      }
    };
    form.addEventListener("change", join);
    form.addEventListener("submit", join);
  }

  return {joinCheckboxes, PALETTE, SEQUENTIAL, ApiError, getJSON, number, percent, money, element, table, notice,
          lineChart, barChart, chartFigure, boundaryMap, focusableMap};
})();
