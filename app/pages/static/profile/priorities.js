// The funder's view (/priorities in a browser): the filters are the API's own parameters, so the
// table, the map and the download links all come from one URL: /priorities?<the form>.
"use strict";

(() => {
  const {getJSON, number, element, SEQUENTIAL} = Figures;
  const form = document.getElementById("filters");
  const status = document.getElementById("status");
  const state = {map: null, document: null, url: null};
  window.kindmapPriorities = state;

  // The URL's parameters into the form (a shared link shows the same ranking).
  const given = new URLSearchParams(location.search);
  if (given.has("category") && !given.has("categories")) {  // a link from before `categories`
    given.set("categories", given.get("category"));
    given.delete("category");
  }
  for (const [name, value] of given) {
    const field = form.elements[name];
    if (field?.type === "checkbox") field.checked = value === "1" || value === "true";
    else if (field) field.value = value;
  }
  if (given.size && !given.has("sensitivity")) form.elements.sensitivity.checked = false;
  for (const box of form.querySelectorAll("input[data-joins=categories]")) {
    box.checked = form.elements.categories.value.split(",").includes(box.value);
  }
  Figures.joinCheckboxes(form);

  function parameters() {
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) if (value !== "") params.set(name, value);
    return params;
  }

  const PARTS = new Set(["gap_score", "need_part", "access_part", "loss_part", "spending_part"]);
  function cell(key, value) {
    if (Array.isArray(value)) return value.join(" ");
    if (typeof value !== "number") return value ?? "–";
    return PARTS.has(key) ? number(value, 3) : number(value, Number.isInteger(value) ? 0 : 1);
  }

  function profileCode(p) {
    return p.utlas ? p.utlas[0] : p.code;
  }

  // A row's rank range as a bar: the span rank_min … rank_max over `count` rows, a dot at its rank.
  const SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attributes) {
    const node = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
    return node;
  }
  function rangeBar(p, count) {
    const width = 140;
    const x = (rank) => 4 + (width - 8) * (rank - 1) / Math.max(count - 1, 1);
    const bar = svg("svg", {width, height: 14, class: "rank-range", role: "img",
                            "aria-label": `rank ${p.rank}, between ${p.rank_min} and ${p.rank_max} over the perturbed choices`});
    bar.append(svg("line", {x1: 4, x2: width - 4, y1: 7, y2: 7, stroke: "#ddd", "stroke-width": 2}),
               svg("line", {x1: x(p.rank_min), x2: x(p.rank_max), y1: 7, y2: 7, stroke: "#0072B2", "stroke-width": 6}),
               svg("circle", {cx: x(p.rank), cy: 7, r: 4, fill: "#D55E00"}));
    return element("td", {class: "range", "data-min": p.rank_min, "data-max": p.rank_max}, bar,
                   ` ${p.rank_min}–${p.rank_max}`);
  }

  function drawStability(doc) {
    const box = document.getElementById("stability");
    const s = doc["kindmap:parameters"].sensitivity;
    if (!s || s.scenarios.length < 2) return;
    const worst = s.scenarios.slice(1).reduce((a, b) => (b.kendall_tau ?? 1) < (a.kendall_tau ?? 1) ? b : a);
    box.replaceChildren(`Over ${s.scenarios.length - 1} perturbed choices the ranking of these ${number(s.rows)} areas ` +
      `keeps Kendall's τ ${number(s.kendall_tau_mean, 2)} on average with the one shown (lowest ` +
      `${number(s.kendall_tau_min, 2)}: ${worst.scenario}); of its top ${s.top_n}, ` +
      `${number(s.top_n_overlap_mean * s.top_n, 1)} stay in the top ${s.top_n} on average ` +
      `(at worst ${number(s.top_n_overlap_min * s.top_n, 0)}). Bars: each row's lowest to highest rank, the dot its rank.`);
  }

  function drawTable(doc) {
    const box = document.getElementById("ranked");
    if (!doc.features.length) {
      Figures.notice(box, "No area matches these filters.");
      return;
    }
    const keys = Object.keys(doc.features[0].properties);
    const count = doc["kindmap:parameters"].sensitivity?.rows;
    const ranged = keys.includes("rank_min");
    const head = element("tr", {}, ...keys.map((k) => element("th", {scope: "col"}, k.replaceAll("_", " "))),
                         ranged ? element("th", {scope: "col"}, "rank range") : null);
    const rows = doc.features.map((f) => element("tr", {}, ...keys.map((k) => {
      const value = cell(k, f.properties[k]);
      if (k === "name") {
        return element("th", {scope: "row"}, element("a", {href: `/areas/${profileCode(f.properties)}`}, String(value)));
      }
      return element("td", k === "why" ? {class: "why"} : {}, String(value));
    }), ranged ? rangeBar(f.properties, count) : null));
    box.replaceChildren(element("table", {class: "figures priorities-table"},
      element("caption", {}, `${doc.features.length} areas, ranked (1 = the largest gap)`),
      element("thead", {}, head), element("tbody", {}, ...rows)));
  }

  const SCORE_COLOUR = ["step", ["coalesce", ["get", "gap_score"], 0], SEQUENTIAL[0],
                        0.2, SEQUENTIAL[1], 0.4, SEQUENTIAL[2], 0.6, SEQUENTIAL[3], 0.8, SEQUENTIAL[4]];

  function bounds(doc) {
    const box = [180, 90, -180, -90];
    const walk = (c) => {
      if (typeof c[0] === "number") {
        box[0] = Math.min(box[0], c[0]); box[1] = Math.min(box[1], c[1]);
        box[2] = Math.max(box[2], c[0]); box[3] = Math.max(box[3], c[1]);
      } else c.forEach(walk);
    };
    doc.features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
    return box[0] <= box[2] ? box : [-6.4, 49.8, 1.8, 55.9];
  }

  function newMap(doc) {
    const map = Figures.boundaryMap("priorities-map", bounds(doc), {ranked: {type: "geojson", data: doc}}, [
      {id: "ranked-fill", type: "fill", source: "ranked", filter: ["!=", ["geometry-type"], "Point"],
       paint: {"fill-color": SCORE_COLOUR, "fill-opacity": 0.85}},
      {id: "ranked-points", type: "circle", source: "ranked", filter: ["==", ["geometry-type"], "Point"],
       paint: {"circle-color": SCORE_COLOUR, "circle-radius": 5, "circle-stroke-color": "#fff", "circle-stroke-width": 1}},
    ]);
    map.addControl(new maplibregl.NavigationControl({showCompass: false}));
    Figures.focusableMap(map, "Map of the ranked areas shaded by gap score; the same areas are in the table below");
    for (const layer of ["ranked-fill", "ranked-points"]) {
      map.on("click", layer, (event) => {
        const p = event.features[0].properties;
        new maplibregl.Popup().setLngLat(event.lngLat).setDOMContent(element("div", {},
          element("strong", {}, `${p.rank}. ${p.name}`), element("br"),
          `gap score ${number(p.gap_score, 3)}, driven by ${p.driver} `,
          element("a", {href: `/areas/${profileCode({...p, utlas: p.utlas && JSON.parse(p.utlas)})}`}, "profile"))).addTo(map);
      });
    }
    return map;
  }

  async function rank() {
    const params = parameters();
    state.url = `/priorities?${params}`;
    status.textContent = "Ranking…";
    document.getElementById("download-csv").href = `${state.url}&f=csv`;
    document.getElementById("download-geojson").href = `${state.url}&f=geojson`;
    history.replaceState(null, "", `?${params}`);
    try {
      const doc = await getJSON(state.url);
      state.document = doc;
      drawTable(doc);
      drawStability(doc);
      if (state.map) {
        state.map.getSource("ranked").setData(doc);
        state.map.fitBounds(bounds(doc), {padding: 20, animate: false});
      } else {
        state.map = newMap(doc);
      }
      await new Promise((resolve) => state.map.once("idle", resolve));
      status.textContent = `${doc.features.length} areas ranked.`;
    } catch (error) {
      status.textContent = "";
      Figures.notice(document.getElementById("ranked"), `Not available: ${error.message}`);
    }
    state.firstRenderMs ??= performance.now();  // what bench/pages.py reports
    document.getElementById("priorities").dataset.drawn = "true";
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    document.getElementById("priorities").dataset.drawn = "false";
    rank();
  });
  rank();
})();
