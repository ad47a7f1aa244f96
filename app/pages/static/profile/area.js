// The area profile (/areas/{code}): the map, then the access, closures and spending figures
// fetched from the JSON API and drawn as tables and charts. The page's <main> carries what the
// server knows (code, level, bounding box, which figures are loaded) as data- attributes.
"use strict";

(() => {
  const {getJSON, number, percent, money, element, table, notice, lineChart, barChart, chartFigure} = Figures;
  const page = document.getElementById("profile");
  const area = JSON.parse(page.dataset.area);
  const query = new URLSearchParams(location.search);
  const defaults = JSON.parse(page.dataset.defaults);  // the analysis' own (analysis/defaults.py)
  const choice = {
    categories: query.get("categories") || defaults.categories,
    year: query.get("year") || String(defaults.year),
    from: query.get("from") || String(defaults.from),
    radius: query.get("radius") || defaults.radius,
  };
  const charts = {};  // section key → Chart, for the tests and the print stylesheet
  window.kindmapProfile = {charts, ready: null};

  const placesInside = () => JSON.parse(document.getElementById("places-data").textContent);

  function drawMap() {
    const places = placesInside();
    const map = Figures.boundaryMap("area-map", area.bbox, {
      area: {type: "geojson",
             data: `${location.origin}/collections/areas/items?code=${area.code}&level=${area.level}&vintage=${area.vintage}&limit=1`},
      places: {type: "geojson", data: places},
    }, [
      {id: "area-fill", type: "fill", source: "area", paint: {"fill-color": "#56B4E9", "fill-opacity": 0.15}},
    ], [
      {id: "area-line", type: "line", source: "area", paint: {"line-color": "#0072B2", "line-width": 2.5}},
      {id: "places", type: "circle", source: "places", paint: {
        "circle-radius": 6,
        "circle-color": ["case", ["==", ["get", "status"], "open"], "#0072B2", "#ffffff"],
        "circle-stroke-color": ["case", ["==", ["get", "status"], "open"], "#ffffff", "#D55E00"],
        "circle-stroke-width": ["case", ["==", ["get", "status"], "open"], 1, 3]}},
    ]);
    Figures.focusableMap(map, `Map of ${area.name}: its boundary and its ${places.features.length} places; ` +
                              "the places are listed in the table below");
    map.addControl(new maplibregl.NavigationControl({showCompass: false}));
    return new Promise((resolve) => map.once("idle", () => resolve(map)));
  }

  // ---- access: the area against similar authorities (same IMD tenth) and England ----------
  function totals(rows) {
    const sum = (key) => rows.reduce((s, r) => s + (r.properties[key] || 0), 0);
    const residents = sum("population");
    return {units: rows.length, residents,
            within: residents ? 1 - sum("residents_without_place") / residents : null,
            lost: residents ? sum("residents_lost_every_place") / residents : null};
  }

  async function drawAccess(tenthOf) {
    const box = document.getElementById("access-figures");
    if (!area.has_small_areas) {
      notice(box, "No small-area base is loaded for this area (population, IMD and LSOA centroids: " +
                  "`kindmap load manifest data/manifests/shared-data.toml`).");
      return;
    }
    const params = new URLSearchParams({categories: choice.categories, year: choice.year, radius: choice.radius});
    const summary = await getJSON(`/areas/${area.code}/summary?${params}`);
    const all = summary.all;
    const columns = [`${area.name}`];
    const cells = {residents: [number(all.residents)], within: [percent(all.share_within)],
                   lost: [null], median: [number(all.median_m) + " m"], places: [number(all.places)]};
    const unitOf = await unitRows();
    if (unitOf?.own) {
      const {own, rows} = unitOf;
      const tenth = tenthOf(own.properties.unit);
      const similar = tenth ? rows.filter((r) => tenthOf(r.properties.unit) === tenth && r !== own) : [];
      cells.lost[0] = percent(totals([own]).lost);
      // England is every unit's row: shown only where more than this area's unit is loaded.
      for (const [label, group] of [[`similar authorities (IMD tenth ${tenth})`, similar],
                                    ["England", rows.length > 1 ? rows : []]]) {
        if (!group.length) continue;
        const t = totals(group);
        columns.push(`${label}: ${t.units} authorities`);
        cells.residents.push(number(t.residents));
        cells.within.push(percent(t.within));
        cells.lost.push(percent(t.lost));
        cells.median.push("–");
        cells.places.push("–");
      }
    }
    const what = choice.categories.replaceAll(",", ", ");
    box.replaceChildren(table(
      `Access to ${what} in ${choice.year}, ${number(choice.radius)} m straight line`, ["", ...columns], [
        ["residents", ...cells.residents],
        [`share with a place within ${number(choice.radius)} m`, ...cells.within],
        [`share who lost every place within reach ${choice.from}→${choice.year}`, ...cells.lost.map((c) => c ?? "–")],
        ["median distance to the nearest place", ...cells.median],
        ["places", ...cells.places],
      ], "figures compare"));
    const byDecile = summary.by_imd_decile.map((d) => [d.imd_decile, number(d.small_areas), number(d.residents),
      percent(d.share_within), number(d.places), number(d.median_m) + " m", number(d.p90_m) + " m"]);
    box.append(table(`${area.name} by IMD 2019 decile (1 = most deprived)`,
                     ["decile", "small areas", "residents", "within reach", "places", "median distance", "90% live within"],
                     byDecile));
  }

  // The /priorities authority rows (the evidence of every unit) and the row of this area's unit.
  let unitRowsPromise = null;
  function unitRows() {
    if (!area.unit_utla) return Promise.resolve(null);
    unitRowsPromise ??= getJSON(`/priorities?${new URLSearchParams({
      level: "authority", category: choice.categories, year: choice.year, loss_from: choice.from,
      radius: choice.radius, limit: 1000})}`).then((doc) => ({
        rows: doc.features,
        own: doc.features.find((f) => f.properties.utlas.includes(area.unit_utla)),
      }));
    return unitRowsPromise;
  }

  // ---- closures: residents who lost every place within the radius, by IMD decile ----------
  async function drawClosures() {
    const box = document.getElementById("closures-figures");
    if (!area.has_small_areas) {
      notice(box, "No small-area base is loaded for this area, so no closure figures.");
      return;
    }
    const doc = await getJSON(`/closures?${new URLSearchParams({area: area.code, categories: choice.categories,
                                                                from: choice.from, to: choice.year, radius: choice.radius})}`);
    const s = doc.summary;
    // Closed places are listed where they stand inside the boundary (the API counts a place in the
    // small area of its nearest origin, which near a border can be a neighbour's).
    const inside = new Set(placesInside().features.map((f) => f.properties.id));
    const closed = doc.features.filter((f) => inside.has(f.properties.id));
    box.replaceChildren(element("p", {}, `${number(s.residents_lost_every_place)} of ${number(s.residents)} ` +
      `residents lost every place within ${number(choice.radius)} m between ${choice.from} and ${choice.year}; ` +
      `${number(closed.length)} places (${choice.categories.replaceAll(",", ", ")}) inside the boundary closed.`));
    const deciles = doc.by_imd_decile;
    const title = `Residents who lost every place within ${number(choice.radius)} m, ${choice.from}→${choice.year}, by IMD decile`;
    const canvas = chartFigure(box, title, table(title + " (the chart's figures)",
      ["IMD decile (1 = most deprived)", "residents", "lost every place", "covered " + choice.from, "covered " + choice.year],
      deciles.map((d) => [d.imd_decile, number(d.residents), number(d.residents_lost_every_place),
                          number(d.residents_covered_from), number(d.residents_covered_to)])));
    canvas.dataset.key = "closures";
    charts.closures = barChart(canvas, deciles.map((d) => String(d.imd_decile)),
      [{label: "residents who lost every place", values: deciles.map((d) => d.residents_lost_every_place)}],
      {yTitle: "residents"});
    if (closed.length) {
      box.append(table("Places inside the boundary that closed", ["place", "status in " + choice.year,
                                                                   "residents within reach", "of whom lost every place"],
        closed.map((f) => [f.properties.name || "(unnamed)", f.properties.status_to ?? f.properties.status ?? "",
                                 number(f.properties.residents_within), number(f.properties.residents_lost_every_place)])));
    }
  }

  // ---- spending: real per head by year, the area beside its IMD tenth and England ----------
  const YEAR_KEY = "financial_year";

  function spendingChart(box, spec, series, breakRow) {
    // Every financial year from the first to the last with a figure, so the x axis is even in time.
    const starts = series.flatMap((s) => s.rows.map((r) => Number(r[YEAR_KEY].slice(0, 4))));
    const labels = [];
    for (let y = Math.min(...starts); y <= Math.max(...starts); y++) labels.push(`${y}-${String(y + 1).slice(2)}`);
    const valued = series.map((s) => ({label: s.label, colour: s.colour, style: s.style, values: labels.map((y) =>
      s.rows.find((r) => r[YEAR_KEY] === y)?.real_per_head_gbp ?? null)}));
    const prices = spec.prices ? ` (${spec.prices} prices)` : "";
    const title = `${spec.title}: net current expenditure per head, real terms${prices}`;
    const breaks = labels.map((y) => series.map((s) => s.rows.find((r) => r[YEAR_KEY] === y)?.series_break).find(Boolean) || "");
    const canvas = chartFigure(box, title, table(title + " (the chart's figures)", ["financial year",
      ...valued.map((s) => s.label), ...(breakRow ? ["series break"] : [])],
      labels.map((y, i) => [y, ...valued.map((s) => money(s.values[i])), ...(breakRow ? [breaks[i]] : [])])));
    canvas.dataset.key = spec.key;
    canvas.dataset.series = JSON.stringify(series.map((s) => s.url));
    const first = labels.findIndex((_, i) => breaks[i]);
    return lineChart(canvas, labels, valued, {yTitle: "£ per head", breakAfter: first > 0 ? labels[first - 1] : null,
                                              breakLabel: "Oct 2015: 0–5 services move to councils"});
  }

  async function spendingSeries(service, basis, tenthDoc) {
    const params = (extra) => new URLSearchParams({service, basis, from: "2013", to: "2022", ...extra});
    const areaUrl = `/spending?${params({area: area.spending_area})}`;
    const englandUrl = `/spending?${params({area: "E92000001"})}`;
    const beside = basis === "outturn" && area.spending_area !== "E92000001";
    const [own, england] = await Promise.all([getJSON(areaUrl), beside ? getJSON(englandUrl) : null]);
    const unit = own.units[0];
    const out = [{label: `${unit.name} (${basis})`, rows: unit.years, url: areaUrl, colour: 0, style: basis === "outturn" ? 0 : 1,
                  prices: own.prices.prices_of, tenth: unit.deprivation?.imd_tenth}];
    if (england) out.push({label: `England (${basis})`, rows: england.units[0].years, url: englandUrl, colour: 1, style: 0});
    if (tenthDoc && basis === "outturn") {
      const tenthUrl = `/spending?${params({group: "imd_tenth"})}`;
      const doc = await getJSON(tenthUrl);
      const tenth = doc.tenths.find((t) => t.imd_tenth === out[0].tenth);
      if (tenth) out.push({label: `similar authorities: IMD tenth ${tenth.imd_tenth} (${basis})`, rows: tenth.years,
                           url: tenthUrl, colour: 2, style: 2});
    }
    return out;
  }

  async function drawService(box, spec) {
    const series = (await Promise.all(spec.bases.map((b) => spendingSeries(spec.key, b, spec.compare)))).flat();
    spec.prices = series[0].prices;
    charts[spec.key] = spendingChart(box, spec, series, spec.breaks);
    return series;
  }

  // The headline: the change per head in real terms since 2013-14 of the comparable series
  // (public health without the 0-5 services), from the outturn, or from the budgets where the
  // last outturn return is missing.
  function headline(series) {
    const own = series.filter((s) => s.colour === 0);
    for (const s of own) {
      const last = [...s.rows].reverse().find((r) => r.real_change_per_head_pct !== null && r.real_change_per_head_pct !== undefined);
      const first = s.rows.find((r) => r[YEAR_KEY] === "2013-14");
      if (!last || !first || last === first) continue;
      const pct = last.real_change_per_head_pct;
      const basis = s.style === 0 ? "outturn" : "budgets";
      const sign = pct < 0 ? "−" : "+";
      const node = document.getElementById("spending-headline");
      node.replaceChildren(element("strong", {}, `${sign}${number(Math.abs(pct), 1)} % per head in real terms since 2013-14`),
        ` — public health spending without the 0–5 services (comparable across the 2015 transfer), ` +
        `${basis} ${first[YEAR_KEY]} → ${last[YEAR_KEY]}: £${number(first.real_per_head_gbp, 2)} → ` +
        `£${number(last.real_per_head_gbp, 2)} per head in ${s.prices || series[0].prices} prices` +
        (basis === "budgets" ? " (no outturn return for the last year)" : "") +
        (last.missing_returns?.length ? ` (${last.missing_returns.length} returns not received that year are left ` +
                                        "out of the sum, so the figure reads low)" : "") + ".");
      node.dataset.pct = String(pct);
      return;
    }
  }

  // England and regions: the sector's service groups (budgets, every year) on one chart.
  async function drawGroups(services) {
    const box = document.getElementById("groups-figures");
    const groups = Object.entries(services).filter(([, s]) => s.group);
    const docs = await Promise.all(groups.map(([key]) => getJSON(`/spending?${new URLSearchParams({
      service: key, basis: "budget", from: "2013", to: "2022", area: area.spending_area})}`)));
    const labels = [...new Set(docs.flatMap((d) => d.units[0].years.map((y) => y[YEAR_KEY])))].sort();
    const valued = docs.map((d, i) => ({label: services[groups[i][0]].label, colour: i, values: labels.map((y) =>
      d.units[0].years.find((r) => r[YEAR_KEY] === y)?.real_per_head_gbp ?? null)}));
    const title = `${area.name}: public health by service group, budgets (RA) per head, real terms ` +
                  `(${docs[0].prices.prices_of} prices)`;
    box.replaceChildren();
    const canvas = chartFigure(box, title, table(title + " (the chart's figures)", ["financial year",
      ...valued.map((s) => s.label)], labels.map((y, i) => [y, ...valued.map((s) => money(s.values[i]))])));
    canvas.dataset.key = "groups";
    charts.groups = lineChart(canvas, labels, valued, {yTitle: "£ per head"});
  }

  async function drawSpending() {
    const box = document.getElementById("spending-figures");
    if (!area.has_spending || !area.spending_area) {
      notice(box, area.has_spending ? "Spending is published per authority: open the profile of an authority."
        : "No spending is loaded (RS, RO3/RA workbooks, HM Treasury deflators, mid-2022 population: " +
          "`kindmap load manifest data/manifests/shared-data.toml`).");
      return;
    }
    const services = JSON.parse(page.dataset.services);
    const specs = [
      {key: "public_health", title: "Public health, total", compare: true, breaks: true},
      {key: "public_health_excl_0_5", title: "Public health without the 0–5 children's services (comparable across the break)", compare: true},
      {key: "cultural", title: "Cultural and related services", compare: true},
    ].map((s) => ({...s, bases: services[s.key].bases}));
    box.replaceChildren();
    const drawn = await Promise.all(specs.map((spec) => {
      const holder = element("div", {class: "chart-holder"});
      box.append(holder);
      return drawService(holder, spec);
    }));
    headline(drawn[1]);
    if (["country", "region"].includes(area.level)) await drawGroups(services);
    await drawLines(services);
  }

  // One public-health service line at a time (RO3 outturn, RA budgets), chosen from a list.
  async function drawLines(services) {
    const box = document.getElementById("lines-figures");
    const picker = document.getElementById("service-line");
    const lines = Object.entries(services).filter(([, s]) => s.group || s.line);
    picker.replaceChildren(...lines.map(([key, s]) => element("option", {value: key}, s.label)));
    picker.value = query.get("line") || "ph_substance_misuse_drugs_adults";
    const show = async () => {
      charts.line?.destroy();
      box.replaceChildren();
      const s = services[picker.value];
      charts.line = null;
      await drawService(box, {key: picker.value, title: `Public health line: ${s.label}`, bases: s.bases,
                              breaks: s.breaks});
      charts.line = charts[picker.value];
    };
    picker.addEventListener("change", show);
    picker.disabled = false;
    await show();
  }

  function failed(id) {
    return (error) => notice(document.getElementById(id), `Not available: ${error.message}`);
  }

  Figures.joinCheckboxes(document.querySelector("form.choices"));
  document.getElementById("print").addEventListener("click", () => window.print());
  const tenths = area.has_spending && area.unit_utla
    ? getJSON("/spending?service=public_health&from=2022&to=2022").then((doc) => {
        const byUnit = new Map(doc.units.map((u) => [u.unit, u.deprivation?.imd_tenth]));
        return (unit) => byUnit.get(unit);
      }).catch(() => () => null)
    : Promise.resolve(() => null);
  window.kindmapProfile.ready = Promise.all([
    drawMap().then((map) => { window.kindmapProfile.map = map; }),
    tenths.then(drawAccess).catch(failed("access-figures")),
    drawClosures().catch(failed("closures-figures")),
    drawSpending().catch(failed("spending-figures")),
  ]).then(() => {
    window.kindmapProfile.drawnMs = performance.now();  // what bench/pages.py reports
    page.dataset.drawn = "true";
  });
})();
