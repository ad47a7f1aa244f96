"""The small-area base on the real files: every resident counted once, origins where they belong.

Expected figures come from the published files themselves (read with pandas here), not from
the SQL under test.
"""
import json

import pandas as pd
import pytest
from sqlalchemy import event, text

from tests.analysis_inputs import analysis_loaded  # noqa: F401 (the fixture)
from tests.conftest import scalar

BOUNDARY_FILES = ("lsoa21_bgc_E06000017_rutland.geojson", "lsoa21_bgc_E08000009_trafford.geojson")


@pytest.fixture(scope="module")
def population21(shared_data) -> pd.Series:
    frame = pd.read_csv(shared_data / "population" / "lsoa21_population_mid2022.csv", encoding="utf-8-sig")
    return frame[frame.lsoacd.str.startswith("E")].set_index("lsoacd").population


@pytest.fixture(scope="module")
def loaded_lsoa21(shared_data) -> list[str]:
    codes = []
    for name in BOUNDARY_FILES:
        features = json.loads((shared_data / "boundaries" / name).read_text())["features"]
        codes += [f["properties"]["LSOA21CD"] for f in features]
    return codes


def test_england_total_is_preserved_exactly(analysis_loaded, population21):
    assert scalar(analysis_loaded, "SELECT sum(population) FROM analysis_small_areas") == population21.sum() == 57_106_398


def test_every_upper_tier_total_is_preserved(analysis_loaded, population21, shared_data):
    utla = pd.read_csv(shared_data / "lookups" / "lsoa21_to_utla23.csv", encoding="utf-8-sig")
    published = utla.set_index("LSOA21CD").join(population21, how="inner").groupby("UTLA23CD").population.sum()
    with analysis_loaded.connect() as conn:
        ours = dict(conn.execute(text(
            "SELECT utla, sum(population) FROM analysis_small_areas GROUP BY utla")).all())
    assert ours == published.to_dict()


def test_loaded_boundaries_are_the_origins_of_their_district(analysis_loaded, population21, loaded_lsoa21):
    with analysis_loaded.connect() as conn:
        rows = {r.code: r for r in conn.execute(text(
            "SELECT s.code, s.vintage, s.population, s.area_id, s.origin_kind, "
            "       ST_Within(s.origin, a.geom_27700) AS inside, "
            "       ST_Equals(s.origin, c.geom_27700) AS at_centroid "
            "FROM analysis_small_areas s JOIN areas a ON a.id = s.area_id "
            "LEFT JOIN centroids c ON c.code = s.code"))}
        replaced = conn.execute(text(
            "SELECT count(*) FROM analysis_small_areas WHERE vintage = '2011-12' AND utla IN "
            "('E06000017', 'E08000009')")).scalar()
    assert sorted(rows) == sorted(loaded_lsoa21)
    assert replaced == 0
    assert all(r.vintage == "2021-12" and r.population == population21[c] for c, r in rows.items())
    assert all(r.inside for r in rows.values())
    assert all(r.at_centroid for r in rows.values() if r.origin_kind == "population_weighted")
    assert {r.origin_kind for r in rows.values()} == {"population_weighted", "point_on_surface"}
    # Trafford's mid-2022 population as ONS published it for the authority (SOURCES.md §4)
    assert scalar(analysis_loaded, "SELECT sum(population) FROM analysis_small_areas WHERE utla = 'E08000009'") == 236_301


def test_imd_comes_from_the_2019_file(analysis_loaded, shared_data):
    imd = pd.read_csv(shared_data / "deprivation" / "imd2019_lsoa11_file1.csv", encoding="utf-8-sig")
    decile = imd.set_index("LSOA code (2011)")["Index of Multiple Deprivation (IMD) Decile"]
    with analysis_loaded.connect() as conn:
        ours = conn.execute(text("SELECT code, imd_decile FROM analysis_small_areas")).all()
    unchanged = [(c, d) for c, d in ours if c in decile.index]
    assert len(unchanged) > 32_000
    assert all(decile[c] == d for c, d in unchanged)
    assert all(d is not None for _, d in ours)


def test_refresh_is_repeatable(analysis_loaded):
    """A refresh with nothing changed runs no step; a write to one input reruns exactly the steps
    reading it; a forced refresh rebuilds the same base."""
    import analysis

    digest = "SELECT md5(string_agg(s::text, '|' ORDER BY code)) FROM analysis_small_areas s"
    before = scalar(analysis_loaded, digest)
    with analysis_loaded.begin() as conn:
        assert set(analysis.refresh(conn).values()) == {None}
        conn.execute(text("UPDATE centroids SET code = code WHERE false"))  # a statement: a new version
        rerun = {name for name, rows in analysis.refresh(conn).items() if rows is not None}
        # coverage resolves its claims onto the small areas; the kept answers read them too
        assert rerun == {"small_areas", "coverage", "answers"}
        assert None not in analysis.refresh(conn, force=True).values()
    assert scalar(analysis_loaded, digest) == before


def test_a_load_analyses_what_it_wrote_once(analysis_loaded):
    """A places load analyses places and place_years after writing them and records it
    (table_statistics), so the refresh after it analyses neither again; a later statement that
    can change their statistics (a place's category) is analysed by the next refresh, one that
    cannot (a place's country, as a load's identity and country passes write) is not. Runs last
    in this module: it adds Trafford's children's centres to the loaded places."""
    import analysis
    from loaders import KINDS
    from loaders.pipeline import run
    from tests.analysis_inputs import analysis_entries

    analysed = []

    def seen(conn, cursor, statement, *args):
        if statement.startswith("ANALYZE"):
            analysed.append(statement)

    event.listen(analysis_loaded, "before_cursor_execute", seen)
    try:
        [entry] = analysis_entries({"trafford_childrens_centres_2019.csv"})
        report = run(analysis_loaded, entry.kind, KINDS[entry.kind].load, KINDS[entry.kind].source,
                     entry.path, entry.options, strict=entry.strict)
        assert report.new > 0
        assert {"ANALYZE places", "ANALYZE place_years"} <= set(analysed)
        stale = "SELECT count(*) FROM table_statistics WHERE analysed IS DISTINCT FROM changed"
        assert scalar(analysis_loaded, stale) == 0
        analysed.clear()
        with analysis_loaded.begin() as conn:
            ran = analysis.refresh(conn)
            assert ran["statistics.places"] == ran["statistics.place_years"] == 0  # versions moved: checked
            # neither input again (the coverage step analyses the table it rebuilt from the load's claim)
            assert not [a for a in analysed if a.startswith(("ANALYZE places", "ANALYZE place_years"))]
            analysed.clear()
            conn.execute(text("UPDATE places SET country = country WHERE false"))
            analysis.refresh(conn)
            assert analysed == []
            conn.execute(text("UPDATE places SET category = category WHERE false"))
            analysis.refresh(conn)
            assert analysed == ["ANALYZE places (id, category, geom_27700)"]
            assert conn.execute(text(stale)).scalar() == 0
    finally:
        event.remove(analysis_loaded, "before_cursor_execute", seen)
