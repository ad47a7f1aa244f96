"""Generic places lists (CSV with coordinates, GeoJSON points or polygons) on real published files."""
import pyogrio
import pytest
from shapely.geometry import Point
from sqlalchemy import text

from store.errors import LoadError
from tests.conftest import SAMPLE, scalar

LAD = SAMPLE / "lad_dec2023_uk_buc.topojson"
OGL = "Open Government Licence v3.0"
TRAFFORD = "E08000009"


@pytest.fixture
def files(shared_data):
    return {
        "libraries": shared_data / "libraries" / "gm_libraries_trafford_datalab.csv",
        "food_banks": shared_data / "community" / "gm_food_banks_2018.geojson",
        "worship": shared_data / "community" / "trafford_places_of_worship_os_openmap_local.geojson",
        "childrens": shared_data / "community" / "trafford_childrens_centres_2019.csv",
    }


def libraries(load, path, **options):
    return load("places-csv", path, source="gm-libraries-2023", category="library",
                publisher="Trafford Data Lab", licence=OGL, **options)


def worship(load, path, **options):
    return load("places-geojson", path, source="os-openmap-local-worship-trafford",
                category="place_of_worship", publisher="Ordnance Survey", licence=OGL, **options)


def rows(db, sql, **params):
    with db.connect() as conn:
        return conn.execute(text(sql), params).all()


def test_published_counts(load, db, files):
    assert libraries(load, files["libraries"]).new == 141
    report = load("places-geojson", files["food_banks"], source="gm-food-banks-2018", category="food_bank",
                  publisher="Greater Manchester Poverty Action; Trafford Data Lab", licence=OGL)
    assert (report.rows_read, report.new, report.rejected) == (171, 171, 0)
    report = worship(load, files["worship"])
    assert (report.rows_read, report.new, report.rejected) == (128, 128, 0)
    report = load("places-csv", files["childrens"], source="dfe-gias-trafford-childrens-centres-2019",
                  category="childrens_centre")
    assert report.new == 2
    counts = dict(rows(db, "SELECT category, count(*) FROM places GROUP BY 1"))
    assert counts == {"library": 141, "food_bank": 171, "place_of_worship": 128, "childrens_centre": 2}
    assert scalar(db, "SELECT count(*) FROM places WHERE GeometryType(geom) <> 'POINT'") == 0


def test_fields_ids_and_attributes(load, db, files):
    libraries(load, files["libraries"])
    worship(load, files["worship"])
    load("places-csv", files["childrens"], source="dfe-gias-trafford-childrens-centres-2019",
         category="childrens_centre")
    # No id column: a stable hash of name and coordinates.
    ref, attributes = rows(db, "SELECT source_ref, attributes FROM places WHERE name = 'Blackrod Library'")[0]
    assert ref.startswith("h:") and len(ref) == 18
    assert attributes == {"address": "Blackrod Library, Church Street, Blackrod, Bolton", "postcode": "BL6 5EQ",
                          "type": "Local authority run library", "email": "blackrod.library@bolton.gov.uk",
                          "website": "http://www.bolton.gov.uk/website/pages/Blackrodlibrary.aspx",
                          "area_name": "Bolton", "area_code": "E08000001"}
    # Detected ids: OS GUID (ID) and the DfE URN (unique_reference_number); names: name and DISTNAME.
    assert scalar(db, "SELECT source_ref FROM places WHERE name = 'Partington Children''s Centre'") == "22329"
    assert scalar(db, "SELECT count(*) FROM places WHERE source_ref = '47E16E8B-B5A3-45EE-890A-28C3E077DD32'"
                  " AND name = 'Unknown' AND attributes->>'CLASSIFICA' = 'Place Of Worship'"
                  " AND (attributes->>'FEATCODE')::int = 15025") == 1
    assert scalar(db, "SELECT count(DISTINCT source_ref) FROM places") == 141 + 128 + 2


def test_source_recorded_per_load(load, db, files):
    libraries(load, files["libraries"])
    row = rows(db, """SELECT s.key, s.publisher, s.licence, r.kind FROM places p
                      JOIN import_runs r ON r.id = p.import_run_id JOIN sources s ON s.id = r.source_id
                      LIMIT 1""")[0]
    assert tuple(row) == ("gm-libraries-2023", "Trafford Data Lab", OGL, "places-csv")
    assert scalar(db, "SELECT DISTINCT source FROM places") == "gm-libraries-2023"


def test_polygons_become_points_on_surface_inside_trafford(load, db, files):
    load("boundaries", LAD, level="ltla", vintage="2023-12")
    worship(load, files["worship"])
    libraries(load, files["libraries"])
    # Each point lies inside its own building footprint, read independently with GDAL.
    buildings = pyogrio.read_dataframe(files["worship"]).set_index("ID")
    points = rows(db, "SELECT source_ref, ST_X(geom), ST_Y(geom) FROM places "
                      "WHERE category = 'place_of_worship'")
    assert len(points) == 128
    assert all(buildings.geometry[ref].contains(Point(x, y)) for ref, x, y in points)
    # …and inside Trafford (ONS boundary, clipped to the coastline; generalised to 500 m).
    inside = """SELECT count(*) FROM places p JOIN areas a ON a.level = 'ltla' AND a.code = :code
                AND ST_Contains(a.geom, p.geom) WHERE p.category = :category"""
    assert scalar(db, inside, code=TRAFFORD, category="place_of_worship") == 128
    trafford_libraries = scalar(db, "SELECT count(*) FROM places WHERE category = 'library' "
                                "AND attributes->>'area_code' = :code", code=TRAFFORD)
    assert scalar(db, inside, code=TRAFFORD, category="library") == trafford_libraries == 13


def test_reload_is_a_noop(load, db, files):
    first = worship(load, files["worship"])
    libraries(load, files["libraries"])
    runs = scalar(db, "SELECT count(*) FROM import_runs")
    again = worship(load, files["worship"])
    assert (again.new, again.changed, again.unchanged) == (0, 0, first.new)
    assert again.status.startswith("no-op")
    again = libraries(load, files["libraries"])
    assert (again.new, again.changed, again.unchanged) == (0, 0, 141)
    assert scalar(db, "SELECT count(*) FROM import_runs") == runs


def test_bad_coordinates_rejected_with_row_numbers(load, db, files, tmp_path):
    lines = files["libraries"].read_text(encoding="utf-8").splitlines(keepends=True)
    lines[4] = lines[4].rstrip("\n").rsplit(",", 1)[0] + ",not-a-latitude\n"     # row 5
    lon, lat = lines[9].rstrip("\n").rsplit(",", 2)[1:]
    lines[9] = lines[9].rstrip("\n").rsplit(",", 2)[0] + f",{lat},{lon}\n"       # row 10: swapped
    lines[12] = lines[12].rstrip("\n").rsplit(",", 2)[0] + ",,\n"                 # row 13: blank
    bad = tmp_path / "libraries.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    report = libraries(load, bad)
    assert (report.rows_read, report.new, report.rejected) == (141, 138, 3)
    assert [r["location"] for r in report.rejections] == ["row 5", "row 10", "row 13"]
    assert all(r["column"] == "lon/lat" for r in report.rejections)
    with pytest.raises(LoadError, match="--strict"):
        libraries(load, bad, strict=True)


def test_duplicates_rejected_not_fatal(load, db, files, tmp_path):
    lines = files["libraries"].read_text(encoding="utf-8").splitlines(keepends=True)
    bad = tmp_path / "libraries.csv"
    bad.write_text("".join(lines + [lines[1]]), encoding="utf-8")
    report = libraries(load, bad)
    assert (report.new, report.rejected) == (141, 1)
    assert report.rejections[0]["location"] == "row 143"
    assert "row 2" in report.rejections[0]["reason"]


@pytest.mark.parametrize("problem", ["no category", "unknown category", "missing field", "bad source key",
                                     "not a csv", "not a vector file", "truncated csv"])
def test_errors_change_nothing(load, db, files, tmp_path, problem):
    libraries(load, files["libraries"])
    before = scalar(db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p")
    runs = scalar(db, "SELECT count(*) FROM import_runs")
    with pytest.raises(LoadError) as error:
        if problem == "no category":
            load("places-csv", files["childrens"], source="x-childrens")
        elif problem == "unknown category":
            load("places-geojson", files["food_banks"], source="x-food", category="foodbank")
        elif problem == "missing field":
            load("places-csv", files["childrens"], source="x-childrens", category="childrens_centre",
                 lat_field="latitude")
        elif problem == "bad source key":
            load("places-csv", files["childrens"], source="Not A Key", category="childrens_centre")
        elif problem == "not a csv":
            load("places-csv", files["worship"].parent.parent / "osm" / "rutland-latest.osm.pbf",
                 source="x-pbf", category="library")
        elif problem == "not a vector file":
            junk = tmp_path / "junk.geojson"
            junk.write_text("{not json", encoding="utf-8")
            load("places-geojson", junk, source="x-junk", category="library")
        else:
            cut = tmp_path / "cut.csv"
            text = files["libraries"].read_text(encoding="utf-8")
            cut.write_text(text[: len(text) // 2], encoding="utf-8")
            libraries(load, cut)
    assert error.value.message
    assert scalar(db, "SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM places p") == before
    assert scalar(db, "SELECT count(*) FROM import_runs") == runs


def test_category_field(load, db, files, tmp_path):
    """Real rows of two published lists combined, with each row's category in a column."""
    import csv
    with files["childrens"].open(encoding="utf-8") as handle:
        centres = list(csv.DictReader(handle))
    with files["libraries"].open(encoding="utf-8-sig") as handle:
        library = next(csv.DictReader(handle))
    mixed = tmp_path / "mixed.csv"
    with mixed.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "kind", "lon", "lat"])
        writer.writerows([[c["name"], "Childrens centre", c["lon"], c["lat"]] for c in centres])
        writer.writerow([library["name"], "library", library["lon"], library["lat"]])
        writer.writerow([library["name"], library["type"], library["lon"], library["lat"]])  # not a category
    report = load("places-csv", mixed, source="test-mixed", category_field="kind")
    assert (report.new, report.rejected) == (3, 1)
    assert report.rejections[0]["location"] == "row 5"
    assert dict(rows(db, "SELECT category, count(*) FROM places GROUP BY 1")) == {
        "childrens_centre": 2, "library": 1}
