"""The area profile (/areas/{code}) and the priorities page (/priorities) in headless Chromium,
over the demo sample plus the spending inputs the profile charts (real files from ../shared/data):
no request leaves the app, no console error, the charts and tables hold the API's own numbers,
the downloads are the API's answer, the controls work from the keyboard."""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from tests import browser
from tests.conftest import load_files, scalar

RUTLAND = "E06000017"
# What the spending charts read beyond the sample: England's LSOAs → authorities and residents
# (so England's and the IMD tenths' per-head figures have their whole denominators), the IoD 2025
# district scores (the tenths), outturn and one budget year, and the deflators.
SPENDING_INPUTS = [
    ("lookup", "lookups/uk_local_authorities_mysociety.csv", {}),
    ("lookup", "lookups/lsoa21_to_utla23.csv", {}),
    ("population", "population/lsoa21_population_mid2022.csv", {}),
    ("imd", "deprivation/iod2025_lad24_summaries.csv", {}),
    ("revenue-outturn", "spending/raw/RS_2016-17_data_by_LA.xlsx", {}),
    ("revenue-outturn", "spending/raw/RS_2015-16_data_by_LA_revision.xlsx", {}),
    ("public-health-detail", "spending/ro3/RO3_2022-23_data_by_LA.ods", {}),
    ("public-health-detail", "spending/ro3/RA_2019-20_by_LA.xlsx", {}),
    ("public-health-detail", "spending/ro3/RO3_2013-14_by_LA.xls", {}),
    ("deflators", "deflators/hmt_gdp_deflators_oct2024_socialvalueadjuster.xlsx",
     {"sheet": "30102024 deflator update"}),
]
# The page's own mark (div.profile), not a panel's: #validation inside the priorities page marks
# itself drawn too, and under load it can finish before the ranking does.
DRAWN = ".profile[data-drawn=true]"


@pytest.fixture(scope="module")
def served(sample_loaded, shared_data):
    import analysis

    load = load_files(sample_loaded)
    for kind, path, options in SPENDING_INPUTS:
        load(kind, shared_data / path, **options)
    with sample_loaded.begin() as conn:
        analysis.refresh(conn)
    return sample_loaded


def drawn(visit, path: str):
    v = visit(path)
    v.page.wait_for_selector(DRAWN, state="attached", timeout=30_000)
    return v


@pytest.fixture(scope="module")
def profile(chromium, server):
    """/areas/E06000017 drawn once for the module's read-only checks."""
    v = browser.open_page(chromium, server, f"/areas/{RUTLAND}")
    v.page.wait_for_selector(DRAWN, state="attached", timeout=30_000)
    yield v
    v.page.context.close()


def test_profile_loads_offline_with_no_console_error(profile, served):
    assert profile.external == [] and profile.console_errors == []
    page = profile.page
    assert page.locator("h1").inner_text().startswith("Rutland")
    # the places of the categories and year chosen (default: libraries, 2016), not every kind open now
    assert page.locator("table.places tbody tr").count() == places_in(served, "library", 2016) > 3
    # every source the loads recorded is named with its licence
    sources = page.locator("table.sources").inner_text()
    assert "Open Government Licence v3.0" in sources
    assert "RO3_2022-23_data_by_LA.ods" in sources
    profile.screenshot("area-profile", readme=True)


def places_in(engine, category: str, year: int) -> int:
    """Places of ``category`` inside Rutland with a status in ``year`` (place_years)."""
    return scalar(engine, "SELECT count(*) FROM place_features p JOIN areas a ON a.code = :c "
                          "AND a.vintage = '2023-12' AND a.level = 'ltla' "
                          "JOIN place_years y ON y.place_id = p.id AND y.year = :y "
                          "WHERE ST_Intersects(p.geom, a.geom) AND p.category = :k", c=RUTLAND, y=year, k=category)


def test_profile_shows_the_categories_and_year_chosen(visit, served):
    """Rutland's OpenStreetMap community centres (its 2022 extract) in 2022, on the map and in the
    table; in 2016 none (the extract says nothing of 2016), and the access figures say why."""
    chosen = drawn(visit, f"/areas/{RUTLAND}?categories=community_centre&year=2022")
    rows = chosen.page.locator("table.places tbody tr")
    assert rows.count() == places_in(served, "community_centre", 2022) > 5
    assert {t.strip() for t in chosen.page.locator("table.places tbody td:nth-child(2)").all_inner_texts()} == \
        {"community centre"}
    drawn_places = chosen.page.evaluate("() => JSON.parse(document.getElementById('places-data').textContent)"
                                        ".features.length")
    assert drawn_places == rows.count()
    assert "Open Database License" in chosen.page.locator("table.sources").inner_text()  # OSM feeds it now
    before = drawn(visit, f"/areas/{RUTLAND}?categories=community_centre&year=2016")
    assert before.page.locator("table.places tbody tr").count() == 0
    assert "no source lists them here for that year" in before.page.locator("#places").inner_text()
    assert "not covered" in before.page.locator("#access-figures").inner_text()


def chart_data(page) -> list[dict]:
    return page.evaluate("""() => [...document.querySelectorAll('canvas[data-key]')].map((canvas) => {
        const chart = Chart.getChart(canvas);
        return {key: canvas.dataset.key, urls: JSON.parse(canvas.dataset.series || '[]'),
                labels: chart.data.labels, series: chart.data.datasets.map((d) => d.data),
                breakAfter: chart.options.plugins.seriesBreak?.after ?? null,
                table: canvas.closest('figure').querySelector('table').innerText};
    })""")


def api_rows(server: str, url: str, tenth: int | None) -> list[dict]:
    document = httpx.get(server + url, timeout=30).json()
    if "tenths" in document:
        return next(t["years"] for t in document["tenths"] if t["imd_tenth"] == tenth)
    return document["units"][0]["years"]


def test_spending_charts_hold_the_api_numbers(profile, server):
    charts = {c["key"]: c for c in chart_data(profile.page)}
    assert {"public_health", "public_health_excl_0_5", "cultural", "closures"} <= set(charts)
    tenth = httpx.get(f"{server}/spending?area={RUTLAND}").json()["units"][0]["deprivation"]["imd_tenth"]
    for key, chart in charts.items():
        if key == "closures":
            continue
        assert len(chart["urls"]) == len(chart["series"]) >= 2, key
        for url, values in zip(chart["urls"], chart["series"]):
            by_year = {r["financial_year"]: r["real_per_head_gbp"] for r in api_rows(server, url, tenth)}
            assert values == pytest.approx([by_year.get(y) for y in chart["labels"]]), (key, url)
            for value in filter(None, values):  # the table under the chart holds the same numbers
                assert f"£{value:,.2f}" in chart["table"], (key, value)
    # the October 2015 break is drawn where the API flags it (2015-16 is the first part year)
    assert charts["public_health"]["breakAfter"] == "2014-15"
    assert "part year" in charts["public_health"]["table"]
    assert charts["public_health_excl_0_5"]["breakAfter"] is None
    profile.page.evaluate("document.getElementById('spending').scrollIntoView()")
    profile.screenshot("area-profile-spending", readme=True)
    profile.page.evaluate("window.scrollTo(0, 0)")


def test_closures_chart_holds_the_api_numbers(profile, server):
    chart = next(c for c in chart_data(profile.page) if c["key"] == "closures")
    deciles = httpx.get(f"{server}/closures", params={"area": RUTLAND}, timeout=30).json()["by_imd_decile"]
    assert chart["labels"] == [str(d["imd_decile"]) for d in deciles]
    assert chart["series"] == [[d["residents_lost_every_place"] for d in deciles]]


def test_service_line_is_chosen_by_keyboard(profile, server):
    page = profile.page
    picker = page.locator("#service-line")
    picker.focus()
    before = picker.input_value()
    page.keyboard.press("ArrowDown")
    page.wait_for_function("(before) => { const c = window.kindmapProfile.charts.line; "
                           "return c && c.canvas.dataset.key !== before; }", arg=before)
    line = next(c for c in chart_data(page) if c["key"] == picker.input_value())
    assert line["key"] != before
    url = line["urls"][0]
    rows = {r["financial_year"]: r["real_per_head_gbp"] for r in api_rows(server, url, None)}
    assert line["series"][0] == pytest.approx([rows.get(y) for y in line["labels"]])
    assert profile.console_errors == []


def test_print_stylesheet_hides_the_controls_and_prints_a_pdf(profile):
    page = profile.page
    page.emulate_media(media="print")
    try:
        assert not page.locator("form.choices").is_visible() and not page.locator("#print").is_visible()
        pdf = page.pdf(format="A4")
    finally:
        page.emulate_media(media="screen")
    assert pdf.startswith(b"%PDF") and len(pdf) > 50_000
    (browser.artefact_dir() / "area-profile.pdf").write_bytes(pdf)


def test_unknown_area_is_a_404_page(server):
    response = httpx.get(f"{server}/areas/E06999999", headers={"Accept": "text/html"})
    assert response.status_code == 404 and response.headers["content-type"].startswith("text/html")
    assert "No area E06999999" in response.text and "/areas/E06000017" in response.text


def test_priorities_page_and_api_share_the_path(server):
    """A browser's navigation gets the page; every other client (and `f=`) gets the API."""
    html = httpx.get(f"{server}/priorities", headers={"Accept": "text/html,*/*;q=0.8"})
    assert html.headers["content-type"].startswith("text/html") and 'id="filters"' in html.text
    api = httpx.get(f"{server}/priorities", params={"level": "lsoa"}, timeout=30)
    assert api.headers["content-type"] == "application/geo+json"
    csv = httpx.get(f"{server}/priorities", params={"f": "csv"}, headers={"Accept": "text/html"}, timeout=30)
    assert csv.headers["content-type"].startswith("text/csv")
    # /areas/{code} is a page too: GET /areas/summary stays the POST route's 405 for the API's clients
    assert httpx.get(f"{server}/areas/summary").status_code == 405


def test_priorities_shows_and_downloads_exactly_the_api_answer(visit, server):
    v = drawn(visit, f"/priorities?level=lsoa&authority={RUTLAND}&w_spending=0&limit=20")
    assert v.external == [] and v.console_errors == []
    page = v.page
    params = {"level": "lsoa", "authority": RUTLAND, "w_spending": "0", "limit": "20"}
    expected = httpx.get(f"{server}/priorities", params=params, timeout=30).json()
    codes = page.locator("table.priorities-table tbody th").all_inner_texts()
    assert codes == [f["properties"]["name"] for f in expected["features"]] and len(codes) == 20
    csv_href = page.get_attribute("#download-csv", "href")
    geojson_href = page.get_attribute("#download-geojson", "href")
    assert dict(parse_qsl(urlsplit(csv_href).query)).items() >= params.items()
    assert httpx.get(server + csv_href, timeout=30).text == httpx.get(
        f"{server}/priorities", params=params | {"f": "csv"}, timeout=30).text
    assert json.loads(httpx.get(server + geojson_href, timeout=30).text) == expected
    v.screenshot("priorities", readme=True)


def test_priorities_filters_work_from_the_keyboard(visit, server):
    v = drawn(visit, f"/priorities?level=lsoa&authority={RUTLAND}&w_spending=0")
    page = v.page
    page.locator("input[name=w_need]").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_function("() => new URLSearchParams(location.search).get('w_need') === '3'")
    page.wait_for_selector(DRAWN, state="attached")
    href = page.get_attribute("#download-csv", "href")
    assert "w_need=3" in href
    expected = httpx.get(server + href.replace("&f=csv", ""), timeout=30).json()
    first = page.locator("table.priorities-table tbody tr").first.locator("th").inner_text()
    assert first == expected["features"][0]["properties"]["name"]
    # the map shows the same features
    shown = page.evaluate("() => window.kindmapPriorities.map.getSource('ranked').serialize().data.features.length")
    assert shown == len(expected["features"])
    assert v.external == [] and v.console_errors == []


def test_area_profile_gives_the_headline_change(profile, server):
    """The planner's one figure, from the API's comparable series (outturn 2013-14 → 2022-23)."""
    years = httpx.get(f"{server}/spending", params={"area": RUTLAND, "service": "public_health_excl_0_5"},
                      timeout=30).json()["units"][0]["years"]
    pct = next(y for y in years if y["financial_year"] == "2022-23")["real_change_per_head_pct"]
    headline = profile.page.locator("#spending-headline")
    assert float(headline.get_attribute("data-pct")) == pytest.approx(pct)
    sign = "−" if pct < 0 else "+"
    assert headline.inner_text().startswith(f"{sign}{abs(pct):.1f} % per head in real terms since 2013-14")
    assert "outturn 2013-14 → 2022-23" in headline.inner_text()


def test_england_page_shows_national_spending_and_the_groups(visit, server):
    v = drawn(visit, "/areas/E92000001")
    assert v.external == [] and v.console_errors == []
    page = v.page
    assert page.locator("h1").inner_text().startswith("England")
    charts = {c["key"]: c for c in chart_data(page)}
    assert {"public_health", "public_health_excl_0_5", "groups"} <= set(charts)
    # England's own series is the API's England, not drawn twice beside itself
    assert all("E92000001" in url for url in charts["public_health"]["urls"])
    groups = charts["groups"]
    for i, key in enumerate(["drug_and_alcohol", "sexual_health", "smoking"]):
        url = f"/spending?service={key}&basis=budget&from=2013&to=2022&area=E92000001"
        by_year = {r["financial_year"]: r["real_per_head_gbp"] for r in api_rows(server, url, None)}
        assert groups["series"][i] == pytest.approx([by_year.get(y) for y in groups["labels"]]), key
    assert page.locator("#spending-headline").inner_text().endswith(
        "returns not received that year are left out of the sum, so the figure reads low).")
    assert page.locator("#service-line option[value=drug_and_alcohol]").count() == 1
    v.screenshot("england-spending")


def test_priorities_page_shows_rank_ranges_and_the_validation(visit, server):
    v = drawn(visit, f"/priorities?level=lsoa&authority={RUTLAND}&sensitivity=1&limit=30")
    assert v.external == [] and v.console_errors == []
    page = v.page
    expected = httpx.get(f"{server}/priorities", params={"level": "lsoa", "authority": RUTLAND,
                                                         "sensitivity": 1, "limit": 30}, timeout=60).json()
    cells = page.locator("td.range")
    assert cells.count() == len(expected["features"]) == 26
    shown = [(int(c.get_attribute("data-min")), int(c.get_attribute("data-max"))) for c in cells.all()]
    assert shown == [(f["properties"]["rank_min"], f["properties"]["rank_max"]) for f in expected["features"]]
    tau = expected["kindmap:parameters"]["sensitivity"]["kendall_tau_mean"]
    assert f"Kendall's τ {tau:.2f} on average" in page.locator("#stability").inner_text()
    page.wait_for_selector("#validation[data-drawn=true]", state="attached", timeout=60_000)
    answer = httpx.get(f"{server}/priorities/validation", params={"indicator": "imd_average_score"}, timeout=60)
    if answer.status_code == 200:  # a full load: the figure holds the API's ρ
        rho = answer.json()["compared"]["gap_score"]["spearman"]["rho"]
        assert float(page.locator(".validation-figure circle").first.get_attribute("data-rho")) == pytest.approx(rho)
    else:  # the demo sample ranks one authority: the reason is shown, not a figure (nor a failed request)
        assert answer.status_code == 400
        assert "needs the small areas of at least four authorities" in page.locator("#validation").inner_text()
    v.screenshot("priorities-sensitivity")
