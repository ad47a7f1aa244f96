// The priorities page's validation figure: GET /priorities/validation for an indicator, drawn as
// Spearman's ρ with its 95 % interval for the gap score and each part (an SVG), with a table of
// the same figures beneath it.
"use strict";

(() => {
  const {getJSON, number, element, table, notice} = Figures;
  const form = document.getElementById("validation-form");
  const box = document.getElementById("validation");
  const LABELS = {gap_score: "gap score", need_part: "need", access_part: "access", loss_part: "loss",
                  spending_part: "spending"};
  const SVG = "http://www.w3.org/2000/svg";
  const svg = (tag, attributes, text) => {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };
  const signed = (x) => (x < 0 ? "−" : "+") + number(Math.abs(x), 2);

  function figure(result) {
    const width = 520, row = 28, left = 90, right = 20, height = row * 5 + 40;
    const x = (rho) => left + (width - left - right) * (rho + 1) / 2;
    const chart = svg("svg", {width, height, role: "img", class: "validation-figure",
                              "aria-label": `Spearman ρ of the gap score and each part with ${result.measure}; ` +
                                            "the same figures are in the table below"});
    for (const tick of [-1, -0.5, 0, 0.5, 1]) {
      chart.append(svg("line", {x1: x(tick), x2: x(tick), y1: 10, y2: height - 24, stroke: tick ? "#eee" : "#999"}),
                   svg("text", {x: x(tick), y: height - 8, "text-anchor": "middle", "font-size": 11}, signed(tick)));
    }
    Object.entries(result.compared).forEach(([key, found], i) => {
      const y = 24 + i * row, s = found.spearman;
      chart.append(svg("text", {x: left - 8, y: y + 4, "text-anchor": "end", "font-size": 12}, LABELS[key]));
      if (s.rho === null) return;
      chart.append(svg("line", {x1: x(s.ci95[0]), x2: x(s.ci95[1]), y1: y, y2: y, stroke: "#0072B2", "stroke-width": 3}),
                   svg("circle", {cx: x(s.rho), cy: y, r: 5, fill: "#D55E00", "data-rho": s.rho}));
    });
    return chart;
  }

  async function compare() {
    const params = new URLSearchParams(new FormData(form));
    box.dataset.drawn = "false";
    try {
      const result = await getJSON(`/priorities/validation?${params}`);
      const rows = Object.entries(result.compared).map(([key, found]) => {
        const s = found.spearman, t = found.top_decile;
        return [LABELS[key], s.rho === null ? "n/a" : `${signed(s.rho)} [${signed(s.ci95[0])}, ${signed(s.ci95[1])}]`,
                t.overlap === null ? "n/a" : `${t.overlap} of ${t.top} (chance ${number(t.expected_by_chance, 1)})`];
      });
      box.replaceChildren(
        element("p", {}, `${result.measure} (${result.direction}): ${result.units_compared} of ` +
                         `${result.units_ranked} authorities compared.`),
        figure(result),
        table(`The gap index and its parts against ${result.measure}`,
              ["compared with", "Spearman ρ [95 % CI]", "top-decile overlap"], rows));
    } catch (error) {
      notice(box, `Not available: ${error.message}`);
    }
    box.dataset.drawn = "true";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    compare();
  });
  if (box.dataset.comparable === "true") compare();
  else box.dataset.drawn = "true";
})();
