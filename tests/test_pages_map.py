"""/map and /docs in headless Chromium over the demo sample, analysed as `kindmap demo` leaves it:
no request leaves the app's host, no console error, the map draws, its layers are in the style,
the year replays closures as the API counts them, the search box finds an authority, and the
search or a click on an area shows the same figures as GET /areas/{code}/summary."""
from __future__ import annotations

import httpx
import pytest

from tests.browser import non_blank_share, open_page

RUTLAND = "E06000017"
EXPECTED_LAYERS = {"background", "authority-fill", "authority-line", "upper-line", "selected-area",
                   "small-area-fill", "small-area-line", "small-area-points", "places-open", "places-closed"}


def settled(visit_):
    """Wait until the map holds every layer and has drawn all its tiles."""
    visit_.page.evaluate("() => window.kindmap.settled()")
    return visit_


@pytest.fixture(scope="module")
def served(sample_loaded):
    """The demo sample with its analysis refreshed (as `kindmap demo` does): Rutland's small areas."""
    import analysis

    with sample_loaded.begin() as conn:
        analysis.refresh(conn)
    return sample_loaded


@pytest.fixture(scope="module")
def map_page(chromium, server):
    """One /map shared by the module's tests (a page costs seconds to draw), in file order: each
    leaves it as the next expects (England in view, 2016)."""
    page = settled(open_page(chromium, server, "/map"))
    yield page
    page.page.context.close()


def test_the_map_draws_its_layers_from_this_server_only(map_page):
    png = map_page.page.locator("#map canvas").screenshot()
    map_page.screenshot("map")
    assert non_blank_share(png) > 0.05, "the map canvas is blank"
    layers = set(map_page.page.evaluate("() => window.kindmap.map.getStyle().layers.map(l => l.id)"))
    assert EXPECTED_LAYERS <= layers
    sources = map_page.page.evaluate("() => Object.values(window.kindmap.map.getStyle().sources)"
                                     ".map(s => s.tiles[0])")
    assert all(url.startswith(map_page.base_url) for url in sources)
    assert map_page.external == [] and map_page.console_errors == []
    # the attribution control names what the layers are built from (the server's credit for the
    # loaded sample: ONS boundaries under OGL, the DCMS 2016 libraries, OpenStreetMap under ODbL)
    shown = map_page.page.locator(".maplibregl-ctrl-attrib-inner").inner_text()
    assert "Source: Office for National Statistics licensed under the Open Government Licence" in shown
    assert "(DCMS Libraries Taskforce)" in shown
    assert "OpenStreetMap contributors (Open Data Commons Open Database License 1.0)" in shown


def test_every_control_has_a_label_and_the_keyboard_reaches_it(map_page):
    unlabelled = map_page.page.evaluate(
        "() => [...document.querySelectorAll('#controls input, #controls select')]"
        ".filter(e => e.labels.length === 0).map(e => e.id)")
    assert unlabelled == []
    map_page.page.keyboard.press("Tab")  # the skip link, then the header's links, then the panel
    reached = set()
    for _ in range(30):
        map_page.page.keyboard.press("Tab")
        reached.add(map_page.page.evaluate("() => document.activeElement.id"))
    assert {"search", "category-library", "year", "measure", "radius", "layer-places"} <= reached


def api_count(server, **params) -> int:
    """Libraries the items API returns for these parameters (every page)."""
    answer = httpx.get(f"{server}/collections/places/items", params={
        "category": "library", "limit": 10_000, "properties": "", **params}).json()
    assert not any(link["rel"] == "next" for link in answer["links"])
    return answer["numberReturned"]


def test_the_year_control_replays_closures_as_the_api_counts_them(map_page, server):
    def drawn(year):
        status = map_page.page.wait_for_selector(f"#status[data-year='{year}']")
        return int(status.get_attribute("data-open")), int(status.get_attribute("data-closed"))

    def expected(year):
        return api_count(server, datetime=str(year)), api_count(server, filter=f"closed_year <= {year}")

    # England is in view whole, so every library open (closed) that year is drawn once
    assert drawn(2016) == expected(2016)
    earliest = map_page.page.get_attribute("#year", "min")
    map_page.page.fill("#year", earliest)  # the slider, as a keyboard or a mouse moves it
    assert drawn(earliest) == expected(earliest)
    assert f"year={earliest}" in map_page.page.evaluate("() => window.location.hash")
    assert map_page.external == [] and map_page.console_errors == []
    map_page.page.fill("#year", "2016")  # as the next test expects it
    drawn(2016)


def test_search_finds_rutland_by_name_and_its_summary_matches_the_api(map_page, server):
    page = map_page.page
    page.fill("#search", "rutl")
    page.wait_for_selector("#search-results button")
    buttons = page.locator("#search-results button").all_text_contents()
    assert buttons == [f"Rutland ({RUTLAND})"]
    page.keyboard.press("Enter")
    page.wait_for_selector("#summary h2")
    assert RUTLAND in page.locator("#summary h2").text_content()
    assert page.locator("#summary a").get_attribute("href") == f"/areas/{RUTLAND}"
    assert_summary_matches_api(page, server, RUTLAND)
    assert f"area={RUTLAND}" in page.evaluate("() => window.location.hash")

    # a click on the map, at Rutland's centre now in view, opens the area under the pointer
    page.evaluate("() => document.getElementById('summary').replaceChildren()")
    box = page.locator("#map canvas").bounding_box()
    x, y = box["width"] / 2, box["height"] / 2
    under = page.evaluate("([x, y]) => window.kindmap.map.queryRenderedFeatures([x, y], {layers: "
                          "['small-area-fill', 'small-area-points', 'authority-fill']})[0].properties.code", [x, y])
    page.locator("#map canvas").click(position={"x": x, "y": y})
    page.wait_for_selector("#summary h2")
    assert f"({under})" in page.locator("#summary h2").text_content()
    assert_summary_matches_api(page, server, under)
    assert map_page.external == [] and map_page.console_errors == []


def assert_summary_matches_api(page, server, code):
    expected = httpx.get(f"{server}/areas/{code}/summary",
                         params={"categories": "library", "year": 2016, "radius": 1200}).json()
    assert expected["all"], f"{code}: the sample has no small-area figures"
    shown = {cell.get_attribute("data-figure"): cell.get_attribute("data-value")
             for cell in page.locator("#summary [data-figure]").all()}
    as_numbers = {k: None if v == "" else float(v) for k, v in shown.items()}
    assert as_numbers and as_numbers == {k: v for k, v in expected["all"].items() if k in shown}


def test_the_url_keeps_the_view(visit):
    shared = settled(visit(f"/map#zoom=9.00&lat=52.6600&lon=-0.6400&categories=library&year=2012"
                           f"&measure=nearest_m&radius=1600&layers=places,authorities&area={RUTLAND}"))
    page = shared.page
    assert page.evaluate("() => window.kindmap.map.getZoom()") == pytest.approx(9)
    assert page.input_value("#year") == "2012" and page.input_value("#radius") == "1600"
    assert page.input_value("#measure") == "nearest_m"
    assert not page.is_checked("#layer-small_areas") and page.is_checked("#layer-places")
    assert page.evaluate("() => window.kindmap.map.getLayoutProperty('small-area-fill', 'visibility')") == "none"
    page.wait_for_selector("#summary h2")
    assert shared.external == [] and shared.console_errors == []


def test_the_api_docs_work_offline(visit):
    docs = visit("/docs")
    docs.page.wait_for_selector(".opblock-summary-path", timeout=20_000)
    paths = docs.page.locator(".opblock-summary-path").all_text_contents()
    assert any("/gaps" in p for p in paths)
    docs.screenshot("docs", readme=True)
    assert docs.external == [] and docs.console_errors == []


def test_redoc_is_not_served(server):
    assert httpx.get(f"{server}/redoc").status_code == 404
