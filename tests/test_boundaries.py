"""ONS boundaries in each published format: TopoJSON, GeoJSON, shapefile and GeoPackage."""
import geopandas as gpd
import pyogrio
import pytest
from sqlalchemy import text

from store.errors import LoadError
from tests.conftest import SAMPLE, scalar


@pytest.fixture
def boundaries(shared_data):
    return shared_data / "boundaries"


def codes(db, level, vintage):
    with db.connect() as conn:
        return set(conn.execute(text("SELECT code FROM areas WHERE level = :l AND vintage = :v"),
                                {"l": level, "v": vintage}).scalars())


def test_published_counts(load, db, boundaries):
    assert load("boundaries", boundaries / "lad_dec2023_uk_buc.topojson", level="ltla", vintage="2023-12").new == 361
    assert load("boundaries", boundaries / "ctyua_dec2023_uk_buc.topojson", level="utla", vintage="2023-12").new == 218
    assert load("boundaries", boundaries / "ctyua_dec2017_ew_buc.topojson", level="utla", vintage="2017-12").new == 174
    assert load("boundaries", boundaries / "rgn_dec2023_en_buc.topojson", level="region", vintage="2023-12").new == 9


def test_geojson_conversion_gives_the_same_areas(load, db, boundaries):
    load("boundaries", boundaries / "lad_dec2023_uk_buc.topojson", level="ltla", vintage="2023-12")
    # The conversion is stored beside the original as level 'custom' (same vintage).
    load("boundaries", boundaries / "lad_dec2023_uk_buc.geojson", level="custom", vintage="2023-12")
    assert codes(db, "ltla", "2023-12") == codes(db, "custom", "2023-12")
    # Same shapes to within the 6-decimal rounding of the conversion: compare areas per code.
    worst = scalar(db, """
        SELECT max(abs(ST_Area(a.geom_27700) - ST_Area(b.geom_27700)) / ST_Area(a.geom_27700))
        FROM areas a JOIN areas b ON a.code = b.code AND a.level = 'ltla' AND b.level = 'custom'""")
    assert worst < 0.01


def test_areas_match_an_independent_geopandas_computation(load, db, boundaries):
    load("boundaries", boundaries / "rgn_dec2023_en_buc.geojson", level="region", vintage="2023-12")
    frame = gpd.read_file(boundaries / "rgn_dec2023_en_buc.geojson").to_crs(27700)
    frame["area"] = frame.geometry.make_valid().area
    with db.connect() as conn:
        stored = dict(conn.execute(text("SELECT code, ST_Area(geom_27700) FROM areas")).all())
    for code, area in zip(frame["AREACD"], frame["area"]):
        assert stored[code] == pytest.approx(area, rel=1e-3)


def test_lsoa_file_keeps_parent_codes(load, db, boundaries):
    report = load("boundaries", boundaries / "lsoa21_bgc_E06000017_rutland.geojson", level="lsoa", vintage="2021-12")
    assert report.new == 26
    assert scalar(db, "SELECT count(*) FROM areas WHERE parent_codes->>'utla' = 'E06000017' "
                      "AND parent_codes->>'region' = 'E12000004'") == 26


@pytest.mark.parametrize("driver, suffix", [("ESRI Shapefile", ".shp"), ("GPKG", ".gpkg")])
def test_shapefile_and_geopackage_in_british_national_grid(load, db, tmp_path, driver, suffix):
    frame = gpd.read_file(SAMPLE / "rgn_dec2023_en_buc.topojson").set_crs(4326).to_crs(27700)
    frame = frame.rename(columns={"AREACD": "RGN23CD", "AREANM": "RGN23NM"})[["RGN23CD", "RGN23NM", "geometry"]]
    path = tmp_path / f"regions{suffix}"
    pyogrio.write_dataframe(frame, path, driver=driver)
    report = load("boundaries", path, level="region", vintage="2023-12")
    assert report.new == 9
    # transformed back to WGS84 in PostGIS: London's region contains Trafalgar Square
    assert scalar(db, "SELECT code FROM areas WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(-0.128, 51.508), 4326))") == "E12000007"


def test_unknown_crs_is_refused(load, db, tmp_path):
    frame = gpd.read_file(SAMPLE / "rgn_dec2023_en_buc.topojson").set_crs(4326).to_crs(27700)
    path = tmp_path / "regions.shp"
    pyogrio.write_dataframe(frame, path, driver="ESRI Shapefile")
    path.with_suffix(".prj").unlink()
    with pytest.raises(LoadError, match="CRS"):
        load("boundaries", path, level="region", vintage="2023-12")
    assert load("boundaries", path, level="region", vintage="2023-12", crs=27700).new == 9


def test_named_fields_and_missing_fields(load, db, tmp_path):
    with pytest.raises(LoadError, match="not in the file"):
        load("boundaries", SAMPLE / "rgn_dec2023_en_buc.topojson", level="region", vintage="2023-12", code_field="RGN23CD")
    assert scalar(db, "SELECT count(*) FROM areas") == 0


def test_points_are_not_boundaries(load, db, tmp_path):
    path = tmp_path / "points.geojson"
    path.write_text('{"type":"FeatureCollection","features":[{"type":"Feature","properties":'
                    '{"AREACD":"E1","AREANM":"x"},"geometry":{"type":"Point","coordinates":[0,51]}}]}')
    with pytest.raises(LoadError, match="not a boundary"):
        load("boundaries", path, level="custom", vintage="2023-12")
