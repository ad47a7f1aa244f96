"""place_years follows each place's stored history (docs/places.md#status-by-year-place_years), refreshed by every places load."""
import pandas as pd
import pytest
from sqlalchemy import text

from app.collections import COLLECTIONS
from models.places import STATUS_YEARS
from tests.conftest import SAMPLE, scalar

TASKFORCE = SAMPLE / "libraries_england_taskforce_2016_geocoded.csv"


def years_of(db, source_ref: str) -> dict[int, str]:
    with db.connect() as conn:
        return dict(conn.execute(text(
            "SELECT y.year, y.status FROM place_years y JOIN places p ON p.id = y.place_id "
            "WHERE p.source = 'dcms-libraries-2016' AND p.source_ref = :ref ORDER BY y.year"),
            {"ref": source_ref}).all())


def test_years_follow_the_2016_list(load, db):
    load("libraries-taskforce", TASKFORCE)
    published = pd.read_csv(TASKFORCE, dtype=str, keep_default_na=False)
    all_years = list(STATUS_YEARS)
    # Castle Green (id 2): closed in 2013 → open 2010–2012, closed from 2013 on.
    castle_green = published.loc[published["id"] == "2"].iloc[0]
    assert (castle_green["closed"], castle_green["closed_year"]) == ("XL", "2013")
    assert years_of(db, "2") == {y: "open" if y < 2013 else "closed" for y in all_years}
    # Dagenham (id 3): opened 2010, open since.
    assert years_of(db, "3") == {y: "open" for y in all_years}
    # 2016 statuses are the list's own: each closure code counted once.
    with db.connect() as conn:
        counts = dict(conn.execute(text(
            "SELECT status, count(*) FROM place_years WHERE year = 2016 GROUP BY 1")).all())
    expected = published["closed"].map({"": "open", "XL": "closed", "XLR": "closed",
                                        "XLT": "temporarily_closed"}).value_counts().to_dict()
    assert counts == expected


def test_years_follow_later_statements_and_reloads_are_no_ops(load, db, shared_data):
    load("libraries-taskforce", TASKFORCE)
    load("libraries-basic", shared_data / "libraries" / "libraries_england_basic_dataset_2023.csv")
    # Every stated year is the resolved status of that year for the record's place, except 2016
    # where the place has its 2016-list record (the list dated for the year wins) …
    assert scalar(db, """
        SELECT count(*) FROM place_status s JOIN places r ON r.id = s.place_id
        LEFT JOIN place_years y ON y.place_id = coalesce(r.merged_into, r.id) AND y.year = s.year
        WHERE y.status IS DISTINCT FROM s.status
          AND NOT (s.year = 2016 AND EXISTS (SELECT 1 FROM places t WHERE t.id = coalesce(r.merged_into, r.id)
                                                                    AND t.source = 'dcms-libraries-2016'))""") == 0
    # … and years between statements carry the earlier one forward (2017–2018 follow 2016,
    # unless some record of the place states a year, or a closure, between).
    assert scalar(db, """
        SELECT count(*) FROM place_years s JOIN place_years y ON y.place_id = s.place_id AND y.year IN (2017, 2018)
        WHERE s.year = 2016 AND y.status <> s.status
          AND NOT EXISTS (SELECT 1 FROM places r LEFT JOIN place_status l ON l.place_id = r.id
                          WHERE coalesce(r.merged_into, r.id) = s.place_id
                            AND (l.year BETWEEN 2017 AND y.year OR r.closed_year BETWEEN 2017 AND y.year))""") == 0
    before = scalar(db, "SELECT md5(string_agg(y::text, ',' ORDER BY year, place_id)) FROM place_years y")
    assert load("libraries-taskforce", TASKFORCE).status.startswith("no-op")
    assert scalar(db, "SELECT md5(string_agg(y::text, ',' ORDER BY year, place_id)) FROM place_years y") == before


@pytest.mark.parametrize("year", [STATUS_YEARS[0], STATUS_YEARS[-1]])
def test_every_place_of_the_list_has_a_status_in_the_range_ends(load, db, year):
    """… except before it opened, or before 2016 when the list says closed without a year."""
    load("libraries-taskforce", TASKFORCE)
    assert scalar(db, "SELECT count(*) FROM places p WHERE NOT EXISTS (SELECT 1 FROM place_years y "
                      "WHERE y.place_id = p.id AND y.year = :y) AND coalesce(p.opened_year, 0) <= :y "
                      "AND NOT (:y < 2016 AND p.status <> 'open' AND p.closed_year IS NULL)",
                  y=year) == 0


def served_of_place(db) -> dict[int, tuple[str, list]]:
    """place_current as stored: place → (status, sources in a fixed order)."""
    with db.connect() as conn:
        return {place: (status, sorted(sources, key=_record_key)) for place, status, sources in conn.execute(text(
            "SELECT place_id, status, sources FROM place_current"))}


def derived_of_place(db) -> dict[int, tuple[str, list]]:
    """The same computed here from place_years and the records: the latest year's status (a live
    edit: the edit's; no year: the record's) and every record of the place (docs/places.md)."""
    with db.connect() as conn:
        latest = dict(conn.execute(text("SELECT DISTINCT ON (place_id) place_id, status FROM place_years "
                                        "ORDER BY place_id, year DESC")).all())
        records: dict[int, list] = {}
        for record, merged_into, source, source_ref, name, status in conn.execute(text(
                "SELECT id, merged_into, source, source_ref, name, status FROM places")):
            records.setdefault(merged_into or record, []).append(
                {"source": source, "source_ref": source_ref, "name": name, "status": status})
        return {place: (status if edited else latest.get(place, status), sorted(records[place], key=_record_key))
                for place, edited, status in conn.execute(text("SELECT id, edited, status FROM place_features"))}


def _record_key(record: dict) -> tuple[str, str]:
    return record["source"], record["source_ref"]


def unbuilt_properties(db) -> list[int]:
    """Places whose stored properties (place_current.properties, what a page of every property
    serves) differ from the JSON the registry builds from the view's columns, as pages did before."""
    with db.connect() as conn:
        return conn.execute(text(f"""
            SELECT t.id FROM place_features t
            WHERE CAST(t.properties AS text) IS DISTINCT FROM CAST({COLLECTIONS['places'].properties_json()} AS text)
               OR t.properties_key IS DISTINCT FROM :key
            ORDER BY t.id"""), {"key": COLLECTIONS["places"].properties_key}).scalars().all()


def test_the_served_status_and_sources_follow_every_load_in_either_order(db, load, shared_data):
    """place_current (what the collection serves and a status filter reads) equals what place_years
    and the records say after each load, whichever list comes first, and a reload writes nothing."""
    basic = shared_data / "libraries" / "libraries_england_basic_dataset_2023.csv"
    loads = [("libraries-taskforce", TASKFORCE), ("libraries-basic", basic)]
    by_records = []
    for order in (loads, loads[::-1]):
        with db.begin() as conn:
            conn.execute(text("TRUNCATE places, import_runs, sources RESTART IDENTITY CASCADE"))
        for kind, path in order:
            load(kind, path)
            served = served_of_place(db)
            assert served == derived_of_place(db) and len(served) == scalar(db, "SELECT count(*) FROM place_features")
            assert unbuilt_properties(db) == []
        # the same places with the same status, under whichever ids this order gave them
        by_records.append({frozenset(map(_record_key, sources)): status for status, sources in served.values()})
    assert by_records[0] == by_records[1]
    assert sum(status == "closed" for status in by_records[0].values()) > 100
    before = scalar(db, "SELECT md5(string_agg(c::text, ',' ORDER BY place_id)) FROM place_current c")
    assert load("libraries-taskforce", TASKFORCE).status.startswith("no-op")
    assert scalar(db, "SELECT md5(string_agg(c::text, ',' ORDER BY place_id)) FROM place_current c") == before


def test_the_served_properties_follow_a_boundary_load_that_sets_countries(db, load):
    """OpenStreetMap places loaded before the 2023 boundaries get their country from the boundary
    load, and the stored properties a page of every property serves carry it."""
    load("osm", SAMPLE / "rutland_osm_third_places.geojson")
    assert scalar(db, "SELECT count(*) FROM places WHERE country IS NOT NULL") == 0
    load("boundaries", SAMPLE / "ctyua_dec2023_uk_buc.topojson", level="utla", vintage="2023-12")
    assert scalar(db, "SELECT count(*) FROM places WHERE country IS NULL") == 0
    assert unbuilt_properties(db) == []


def test_a_page_builds_the_properties_an_older_registry_stored_or_none_did(db, load, database_url):
    """A page serves the stored properties only where the running registry built them (their key):
    a row written by a release whose properties differed, and a place with no place_current row at
    all, get the properties built from the columns — never stale JSON, never a null feature."""
    from fastapi.testclient import TestClient

    from store.db import make_engine
    from app.main import create_app
    from store.settings import ApiSettings

    load("osm", SAMPLE / "rutland_osm_third_places.geojson")
    with TestClient(create_app(make_engine(database_url), ApiSettings(allowed_hosts="*"))) as client:
        def page() -> dict:
            return {f["id"]: f["properties"] for f in client.get("/collections/places/items?limit=1000").json()["features"]}

        served = page()
        stale, missing = sorted(served)[:2]
        with db.begin() as conn:
            conn.execute(text("UPDATE place_current SET properties = '{\"name\": \"stale\"}', "
                              "properties_key = 'an-older-one' WHERE place_id = :id"), {"id": stale})
            conn.execute(text("DELETE FROM place_current WHERE place_id = :id"), {"id": missing})
        now = page()
    assert now[stale] == served[stale]
    assert now[missing] == served[missing] | {"status": None, "sources": None}
    assert {k: v for k, v in now.items() if k != missing} == {k: v for k, v in served.items() if k != missing}
