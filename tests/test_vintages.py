"""One vintage vocabulary: '2021' and '2021-12' are one vintage, on input and in the database."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from store.errors import LoadError
from models.vintages import normalise_vintage
from tests.conftest import scalar


@pytest.mark.parametrize("given, canonical", [("2021", "2021-12"), ("2021-12", "2021-12"),
                                              (" 2023-4 ", "2023-04"), (2011, "2011-12")])
def test_normalise(given, canonical):
    assert normalise_vintage(given) == canonical


@pytest.mark.parametrize("given", ["geojson", "2021-13", "2021-00", "21", "2021-12-01", ""])
def test_refused(given):
    with pytest.raises(ValueError, match="not a vintage"):
        normalise_vintage(given)


def test_boundaries_by_year_and_by_month_are_one_vintage(load, db, shared_data):
    rutland = shared_data / "boundaries/lsoa21_bgc_E06000017_rutland.geojson"
    assert load("boundaries", rutland, level="lsoa", vintage="2021").new == 26
    assert load("boundaries", rutland, level="lsoa", vintage="2021-12").status.startswith("no-op")
    assert scalar(db, "SELECT array_agg(DISTINCT vintage) FROM areas") == ["2021-12"]
    with pytest.raises(LoadError) as error:
        load("boundaries", rutland, level="lsoa", vintage="Dec 2021")
    assert error.value.column == "--vintage" and "not a vintage" in str(error.value)


def test_centroid_vintage_from_the_code_column_is_canonical(load, db, shared_data):
    report = load("centroids", shared_data / "deprivation/lsoa11_population_weighted_centroids_dec2011.csv",
                  vintage="2011")
    assert scalar(db, "SELECT array_agg(DISTINCT vintage) FROM centroids") == ["2011-12"]
    assert report.new == 34_753


def test_lookups_record_census_vintages(load, db, shared_data):
    load("lookup", shared_data / "lookups/lsoa11_to_lsoa21_to_lad22.csv")
    with db.connect() as conn:
        kinds = set(conn.execute(text("SELECT level, vintage, parent_level, parent_vintage "
                                      "FROM area_lookups")).all())
    assert kinds == {("lsoa", "2011-12", "lsoa", "2021-12"), ("lsoa", "2021-12", "ltla", None)}


@pytest.mark.parametrize("table, values", [
    ("areas", "(code, name, level, vintage, geom, import_run_id) VALUES ('E1', 'x', 'ltla', '2021', "
              "ST_GeomFromText('MULTIPOLYGON(((0 0,1 0,1 1,0 0)))', 4326), 1)"),
    ("area_hierarchy", "VALUES ('lsoa', 'E01000001', '2021', 'E09000001', 'E09000001', 'E12000007', "
                       "'E92000001')"),
])
def test_the_database_refuses_another_spelling(db, table, values):
    with db.begin() as conn:
        conn.execute(text("INSERT INTO sources (key, title, publisher, licence) VALUES ('t', 't', 't', 't')"))
        conn.execute(text("INSERT INTO import_runs (source_id, kind, file_name, file_sha256) "
                          "SELECT id, 'test', 'f', 'x' FROM sources"))
    with pytest.raises(IntegrityError, match="vintage"), db.begin() as conn:
        conn.execute(text(f"INSERT INTO {table} {values}"))
