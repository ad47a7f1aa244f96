// The map page: kindmap's own vector tiles (authority boundaries as the base, small areas shaded
// by a measure, places by category and status) drawn by MapLibre GL JS from /static/vendor.
// Nothing is fetched from another origin: no basemap, no fonts (no text labels on the map; names
// are in the panel). The view and every control live in the URL's #fragment, so links share it.
"use strict";
(function () {
  const mapElement = document.getElementById("map");
  const config = JSON.parse(mapElement.dataset.config);
  const origin = window.location.origin;
  const TILES = "/tiles/WebMercatorQuad/{z}/{x}/{y}";
  // Okabe–Ito, distinguishable with the common colour-vision deficiencies; then four more.
  const CATEGORY_COLOURS = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00",
    "#F0E442", "#000000", "#882255", "#44AA99", "#999933", "#888888"];
  // viridis from worse (dark) to better (light): reads in greyscale and for colour-blind readers.
  const RAMP = ["#440154", "#443983", "#31688e", "#21918c", "#35b779", "#90d743", "#fde725"];
  const NO_DATA = "#d9d9d9";
  const CLOSED = "#b2182b";
  const form = document.getElementById("controls");
  const statusLine = document.getElementById("status");
  const summary = document.getElementById("summary");

  const colourOf = Object.fromEntries(config.categories.map((c, i) => [c, CATEGORY_COLOURS[i % CATEGORY_COLOURS.length]]));
  const state = readHash();
  let smallAreaTiles = null;   // whether the small-area layer with measures is served (null: not asked yet)
  let domainDue = true;         // recompute the measure's colour scale at the next idle

  // ---- the URL fragment: view + controls -------------------------------------------------
  function readHash() {
    const p = new URLSearchParams(window.location.hash.slice(1));
    const number = (name, fallback, low, high) => {
      const v = Number(p.get(name));
      return p.has(name) && Number.isFinite(v) && v >= low && v <= high ? v : fallback;
    };
    const list = (name, fallback, allowed) => {
      const values = p.has(name) ? p.get(name).split(",").filter((v) => allowed.includes(v)) : fallback;
      return p.has(name) && p.get(name) === "" ? [] : values;
    };
    const layerIds = [...document.querySelectorAll("#layers input")].map((i) => i.value);
    const measures = config.measures.map((m) => m.id);
    return {
      zoom: number("zoom", 5.4, 0, 22), lat: number("lat", 52.9, -85, 85), lon: number("lon", -1.9, -180, 180),
      categories: list("categories", ["library"], config.categories),
      year: Math.round(number("year", config.year, config.years[0], config.years[1])),
      measure: measures.includes(p.get("measure")) ? p.get("measure") : measures[0],
      radius: number("radius", config.radius, Number(form.radius.min), Number(form.radius.max)),
      layers: list("layers", layerIds, layerIds),
      area: /^[A-Z][0-9]{8}$/.test(p.get("area") || "") ? p.get("area") : null,
    };
  }

  function writeHash() {
    const c = map.getCenter();
    const p = new URLSearchParams({
      zoom: map.getZoom().toFixed(2), lat: c.lat.toFixed(4), lon: c.lng.toFixed(4),
      categories: state.categories.join(","), year: state.year, measure: state.measure,
      radius: state.radius, layers: state.layers.join(","),
    });
    if (state.area) p.set("area", state.area);
    window.history.replaceState(null, "", "#" + p.toString());
  }

  function analysisQuery() {
    return new URLSearchParams({ categories: state.categories.join(",") || "library", year: state.year,
      radius: state.radius }).toString();
  }

  // ---- sources and layers ------------------------------------------------------------------
  function authorityTiles() {
    const q = new URLSearchParams({ level: "region,utla,ltla" });
    if (config.vintage) q.set("vintage", config.vintage);
    return `${origin}/collections/areas${TILES}?${q}`;
  }

  // The places open in the year chosen, as the API's `datetime` says (place status by year), and
  // those whose closure year is by then, drawn hollow: both straight from the places' tiles.
  function placeTiles(which) {
    const q = new URLSearchParams({ category: state.categories.join(",") || "library" });
    if (which === "open") q.set("datetime", String(state.year));
    else q.set("filter", `closed_year <= ${state.year}`);
    return `${origin}/collections/places${TILES}?${q}`;
  }

  // The places in view, as the items API counts them: at a low zoom the tiles draw one point a
  // pixel (each standing for `point_count` places), so counting the dots drawn would undercount.
  let countAsked = "";
  async function countInView() {
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",");
    const year = state.year;
    const ask = `${bbox}|${year}|${state.categories.join(",")}`;
    if (ask === countAsked) return;
    countAsked = ask;
    const matched = async (which) => {
      const q = new URLSearchParams(new URL(placeTiles(which)).search);
      q.set("bbox", bbox); q.set("limit", "1"); q.set("properties", "");
      const answer = await fetch(`/collections/places/items?${q}`);
      return answer.ok ? (await answer.json()).numberMatched : null;
    };
    const [open, closed] = await Promise.all([matched("open"), matched("closed")]);
    if (ask !== countAsked) return;  // the view moved on while asking
    statusLine.textContent = `In view in ${year}: ${open ?? "?"} open places, ${closed ?? "?"} closed.`;
    Object.assign(statusLine.dataset, { year, open, closed });
  }

  function measureColour(low, high) {
    const measure = config.measures.find((m) => m.id === state.measure);
    const stops = measure.better === "low" ? [...RAMP].reverse() : RAMP;
    const step = (high - low) / (stops.length - 1);
    const ramp = ["interpolate", ["linear"], ["to-number", ["get", state.measure]]];
    stops.forEach((colour, i) => ramp.push(low + i * step, colour));
    return ["case", ["has", state.measure], ramp, NO_DATA];
  }

  const style = {
    version: 8,
    sources: {
      // each source names what it is built from (the server's credit for what is loaded), shown
      // by the attribution control
      authorities: { type: "vector", tiles: [authorityTiles()], minzoom: 0, maxzoom: 14,
        attribution: config.attribution.areas },
      places: { type: "vector", tiles: [placeTiles("open")], minzoom: 0, maxzoom: 16,
        attribution: config.attribution.places },
      closed_places: { type: "vector", tiles: [placeTiles("closed")], minzoom: 0, maxzoom: 16,
        attribution: config.attribution.places },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#dde6ee" } },
      { id: "authority-fill", type: "fill", source: "authorities", "source-layer": "areas",
        filter: ["==", ["get", "level"], "ltla"], paint: { "fill-color": "#f6f3ec" } },
      { id: "authority-line", type: "line", source: "authorities", "source-layer": "areas",
        filter: ["==", ["get", "level"], "ltla"], paint: { "line-color": "#7b8794", "line-width": 0.6 } },
      { id: "upper-line", type: "line", source: "authorities", "source-layer": "areas",
        filter: ["in", ["get", "level"], ["literal", ["utla", "region"]]],
        paint: { "line-color": "#2f3a46", "line-width": ["match", ["get", "level"], "region", 1.8, 1.1] } },
      { id: "selected-area", type: "line", source: "authorities", "source-layer": "areas",
        filter: ["==", ["get", "code"], ""], paint: { "line-color": "#000000", "line-width": 3 } },
      { id: "places-closed", type: "circle", source: "closed_places", "source-layer": "places",
        paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 5, 1.5, 8, 3, 12, 6],
          "circle-color": "#ffffff", "circle-stroke-color": CLOSED, "circle-stroke-width": 1.6 } },
      { id: "places-open", type: "circle", source: "places", "source-layer": "places",
        // a black ring sets places apart from the small areas' centroid dots under them
        paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 5, 1.5, 8, 3, 12, 6],
          "circle-color": ["match", ["get", "category"], ...Object.entries(colourOf).flat(), "#888888"],
          "circle-stroke-color": "#000000", "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 5, 0.3, 10, 1.5] } },
    ],
  };

  // Small areas go under the authority lines, above the land; their source is added once we
  // know whether the measured layer (collection small_areas) is served.
  function addSmallAreas(tilesUrl, measured, attribution) {
    map.addSource("small_areas", { type: "vector", tiles: [tilesUrl], minzoom: 0, maxzoom: 14, attribution });
    const layer = measured ? "small_areas" : "areas";
    const colour = measured ? measureColour(0, 1) : "#f6f3ec";
    map.addLayer({ id: "small-area-fill", type: "fill", source: "small_areas", "source-layer": layer,
      filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": colour, "fill-opacity": 0.85 } },
    "authority-line");
    map.addLayer({ id: "small-area-line", type: "line", source: "small_areas", "source-layer": layer,
      minzoom: 8, filter: ["==", ["geometry-type"], "Polygon"], paint: { "line-color": "#ffffff", "line-width": 0.3 } },
    "authority-line");
    map.addLayer({ id: "small-area-points", type: "circle", source: "small_areas", "source-layer": layer,
      filter: ["==", ["geometry-type"], "Point"],
      paint: { "circle-color": colour, "circle-radius": ["interpolate", ["linear"], ["zoom"], 5, 1.8, 8, 3, 12, 6] } },
    "authority-line");
    applyLayerVisibility();
  }

  // The measured small-area layer (collection small_areas) where it is served; else the loaded
  // LSOA boundaries, unshaded. Asked of /collections first so no 404 reaches the console.
  async function smallAreaSource() {
    if (smallAreaTiles === null) {
      const listing = await (await fetch("/collections")).json();
      smallAreaTiles = listing.collections.some((c) => c.id === "small_areas");
    }
    if (!smallAreaTiles) {
      return { url: `${origin}/collections/areas${TILES}?level=lsoa`, measured: false,
        attribution: config.attribution.areas };
    }
    // Only what the map shades and names travels in the tiles (every measure, so picking another
    // one recolours without a refetch).
    const properties = ["code", "name", ...config.measures.map((m) => m.id)].join(",");
    const tilejson = `/collections/small_areas${TILES.replace("/{z}/{x}/{y}", "")}/tilejson.json`;
    const answer = await fetch(`${tilejson}?${analysisQuery()}&properties=${properties}`);
    const tilejsonBody = await answer.json();
    return { url: tilejsonBody.tiles[0], measured: true, attribution: tilejsonBody.attribution || "" };
  }

  // ---- the colour scale of the measure: 5th to 95th percentile of the small areas loaded -------
  function updateDomain() {
    if (!smallAreaTiles) {
      document.getElementById("measure-legend-title").textContent =
        "Small-area shading needs the small-area layer (population and LSOAs loaded).";
      return;
    }
    const values = map.querySourceFeatures("small_areas", { sourceLayer: "small_areas" })
      .map((f) => f.properties[state.measure]).filter((v) => typeof v === "number").sort((a, b) => a - b);
    if (!values.length) return;
    const low = values[Math.floor(values.length * 0.05)];
    let high = values[Math.floor(values.length * 0.95)];
    if (high <= low) high = low + 1;
    const colour = measureColour(low, high);
    map.setPaintProperty("small-area-fill", "fill-color", colour);
    map.setPaintProperty("small-area-points", "circle-color", colour);
    drawLegend(low, high);
    domainDue = false;
  }

  function drawLegend(low, high) {
    const measure = config.measures.find((m) => m.id === state.measure);
    const stops = measure.better === "low" ? [...RAMP].reverse() : RAMP;
    const scale = document.getElementById("measure-scale");
    scale.replaceChildren(...stops.map((colour) => {
      const span = document.createElement("span");
      span.style.background = colour;
      return span;
    }));
    const format = (v) => v.toLocaleString("en-GB", { maximumSignificantDigits: 3 });
    document.getElementById("measure-legend-title").textContent = `Small areas: ${measure.label}`;
    document.getElementById("measure-low").textContent = `${format(low)}${measure.better === "low" ? " (better)" : " (worse)"}`;
    document.getElementById("measure-high").textContent = `${format(high)}${measure.better === "low" ? " (worse)" : " (better)"}`;
  }

  // ---- controls ------------------------------------------------------------------------------
  function showControls() {
    for (const box of form.querySelectorAll("#categories input")) box.checked = state.categories.includes(box.value);
    for (const box of form.querySelectorAll("#layers input")) box.checked = state.layers.includes(box.value);
    for (const key of document.querySelectorAll(".legend-key[data-category]")) key.style.background = colourOf[key.dataset.category];
    form.year.value = state.year;
    document.getElementById("year-value").textContent = state.year;
    form.measure.value = state.measure;
    form.radius.value = state.radius;
  }

  function applyLayerVisibility() {
    const groups = { places: ["places-open", "places-closed"], small_areas: ["small-area-fill", "small-area-line", "small-area-points"],
      authorities: ["authority-line", "upper-line"] };
    for (const [group, layers] of Object.entries(groups)) {
      const shown = state.layers.includes(group) && (group !== "places" || state.categories.length > 0);
      for (const id of layers) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", shown ? "visible" : "none");
    }
  }

  function applyPlaces() {
    map.getSource("places").setTiles([placeTiles("open")]);
    map.getSource("closed_places").setTiles([placeTiles("closed")]);
  }

  async function applyAnalysisParameters() {
    if (smallAreaTiles) {
      const source = await smallAreaSource();
      map.getSource("small_areas").setTiles([source.url]);
      domainDue = true;
    }
    if (state.area) openSummary(state.area);
  }

  form.addEventListener("submit", (event) => event.preventDefault());
  form.addEventListener("change", (event) => {
    const target = event.target;
    if (target.name === "categories") {
      state.categories = [...form.querySelectorAll("#categories input:checked")].map((b) => b.value);
      applyPlaces();
      applyLayerVisibility();
      applyAnalysisParameters();
    } else if (target.name === "layers") {
      state.layers = [...form.querySelectorAll("#layers input:checked")].map((b) => b.value);
      applyLayerVisibility();
    } else if (target.name === "measure") {
      state.measure = target.value;
      domainDue = true;
      updateDomain();
    } else if (target.name === "radius") {
      if (!target.checkValidity()) { statusLine.textContent = target.validationMessage; return; }
      state.radius = Number(target.value);
      applyAnalysisParameters();
    } else if (target.name === "year") {
      state.year = Number(target.value);
      applyPlaces();
      applyAnalysisParameters();
    }
    writeHash();
  });
  form.year.addEventListener("input", () => { document.getElementById("year-value").textContent = form.year.value; });

  // ---- the summary of an area ---------------------------------------------------------------
  const FIGURES = [
    ["residents", "Residents"], ["residents_within", "Residents within the radius"],
    ["share_within", "Share within the radius"], ["places", "Places"],
    ["places_per_10k", "Places per 10,000 residents"], ["median_m", "Median distance to nearest (m)"],
    ["p90_m", "90th percentile distance (m)"], ["fca2", "2SFCA (population-weighted mean)"],
  ];

  async function openSummary(code) {
    state.area = code;
    writeHash();
    map.setFilter("selected-area", ["==", ["get", "code"], code]);
    summary.replaceChildren(Object.assign(document.createElement("p"), { textContent: `Loading ${code}…` }));
    const answer = await fetch(`/areas/${encodeURIComponent(code)}/summary?${analysisQuery()}`);
    const body = await answer.json();
    if (!answer.ok) {
      summary.replaceChildren(Object.assign(document.createElement("p"), { textContent: body.detail || body.title }));
      return;
    }
    const heading = document.createElement("h2");
    heading.textContent = `${body.name || code} (${code})`;
    const parts = [heading];
    if (body.all) {
      const table = document.createElement("table");
      table.id = "summary-figures";
      table.createCaption().textContent = `${state.categories.join(", ") || "library"}, ${state.year}, radius ${state.radius} m`;
      for (const [key, label] of FIGURES) {
        const row = table.insertRow();
        row.insertCell().textContent = label;
        const cell = row.insertCell();
        const value = body.all[key];
        cell.className = "number";
        cell.dataset.figure = key;
        cell.dataset.value = value === null || value === undefined ? "" : String(value);
        cell.textContent = value === null || value === undefined ? "–"
          : key === "share_within" ? `${(value * 100).toFixed(1)}%` : value.toLocaleString("en-GB", { maximumSignificantDigits: 4 });
      }
      parts.push(table);
    } else {
      parts.push(Object.assign(document.createElement("p"), {
        textContent: "No small-area figures here: the small-area base (LSOAs and population) is not loaded for this area." }));
    }
    const link = document.createElement("a");
    link.href = `/areas/${encodeURIComponent(code)}`;
    link.textContent = "Area profile";
    const linkLine = document.createElement("p");
    linkLine.append(link);
    parts.push(linkLine);
    summary.replaceChildren(...parts);
  }

  // ---- search for an authority ----------------------------------------------------------------
  const search = document.getElementById("search");
  const results = document.getElementById("search-results");
  let searchTimer = null;

  function searchFilter(text) {
    if (/^[A-Za-z][0-9]{8}$/.test(text)) return `code = '${text.toUpperCase()}'`;
    return `CASEI(name) LIKE CASEI('%${text.replaceAll("'", "''")}%')`;
  }

  async function runSearch() {
    const text = search.value.trim();
    if (text.length < 2) { results.replaceChildren(); return; }
    const q = new URLSearchParams({ level: "utla,ltla", limit: "10", filter: searchFilter(text),
      "filter-lang": "cql2-text", sortby: "name" });
    if (config.vintage) q.set("vintage", config.vintage);
    const answer = await fetch(`/collections/areas/items?${q}`);
    if (!answer.ok) { statusLine.textContent = "Search failed."; return; }
    const seen = new Set();
    const found = (await answer.json()).features.filter((f) => !seen.has(f.properties.code) && seen.add(f.properties.code));
    results.replaceChildren(...found.map((feature) => {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = `${feature.properties.name} (${feature.properties.code})`;
      button.addEventListener("click", () => chooseArea(feature));
      item.append(button);
      return item;
    }));
    statusLine.textContent = found.length ? `${found.length} authorities found` : "No authority found";
  }

  function chooseArea(feature) {
    const bounds = new maplibregl.LngLatBounds();
    const walk = (c) => (typeof c[0] === "number" ? bounds.extend(c) : c.forEach(walk));
    walk(feature.geometry.coordinates);
    map.fitBounds(bounds, { padding: 30, duration: 0 });
    openSummary(feature.properties.code);
  }

  search.addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(runSearch, 250); });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      const first = results.querySelector("button");
      if (first) first.click(); else runSearch();
    }
  });

  // ---- the map -----------------------------------------------------------------------------
  showControls();
  const map = new maplibregl.Map({
    container: mapElement, style, center: [state.lon, state.lat], zoom: state.zoom,
    attributionControl: { compact: false },
  });
  // The canvas is the map's one tab stop: arrows pan, + and - zoom (MapLibre's keyboard handler).
  map.getCanvas().setAttribute("aria-label", mapElement.getAttribute("aria-label"));
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  let layersAdded;
  const ready = new Promise((resolve) => { layersAdded = resolve; });
  // For scripts driving the page (tests, bench/pages.py): resolves when every layer is in the
  // style and the map has drawn all its tiles.
  async function settled() {
    await ready;
    if (!map.loaded() || !map.areTilesLoaded()) await map.once("idle");
  }
  window.kindmap = { map, settled, ready };

  map.on("load", async () => {
    const source = await smallAreaSource();
    addSmallAreas(source.url, source.measured, source.attribution);
    if (state.area) openSummary(state.area);
    writeHash();
    layersAdded();
  });
  map.on("moveend", writeHash);
  map.on("idle", () => {
    if (domainDue) updateDomain();
    countInView();
  });
  map.on("click", (event) => {
    const layers = ["small-area-fill", "small-area-points", "authority-fill"].filter((id) => map.getLayer(id));
    const [feature] = map.queryRenderedFeatures(event.point, { layers });
    if (feature && feature.properties.code) openSummary(feature.properties.code);
  });
  for (const id of ["small-area-fill", "authority-fill"]) {
    map.on("mouseenter", id, () => { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", id, () => { map.getCanvas().style.cursor = ""; });
  }
})();
