"""Supply that is not all equal, as loaded from the published files: weekly opening hours read from
the UK list's times, mobile library stops with their timetables, and Arts Council England's library
activity figures per authority — each checked against the file read independently here."""
import csv
import math

import pytest
from python_calamine import CalamineWorkbook
from sqlalchemy import text

from loaders.opening_hours import weekly_from_days, weekly_total
from loaders.readers import read_csv
from tests.conftest import load_files, load_in_order, scalar

ACTIVITY = "libraries/ace_libraries_activity_data_2023-24_FINAL.xlsx"
STOPS = "libraries/mobile_library_stops_librarieshacked"
RUTLAND, YORK = "E06000017", "E06000014"


@pytest.fixture(scope="module")
def loaded(engine, shared_data):
    load_in_order(engine, shared_data, [
        ("boundaries", "boundaries/ctyua_dec2023_uk_buc.topojson", {"level": "utla", "vintage": "2023-12"}),
        ("library-activity", ACTIVITY, {}),
        ("mobile-library-stops", f"{STOPS}/york.csv", {}),
    ])
    return engine


def test_uk_list_hours_are_the_week_of_its_times(shared_data):
    """Airyhall Library (Aberdeen): Mon 09:00-19:00, Tue 09:00-17:00, Wed 09:00-19:00, Thu and Fri
    09:00-17:00, Sat 10:00-13:00 and 14:00-17:00 = 10 + 8 + 10 + 8 + 8 + 6 = 50 hours. Berkhamsted
    (the open one, High Street): staffed 8 + 7.5 + 7.5 + 0 + 7.5 + 6.5 = 37, its unstaffed "Open+"
    hours beside them (Mon 07:00-09:30 and 17:30-20:00, Tue, Wed, Fri, Sat 07:00-09:30, Thu
    07:00-20:00) 5 + 2.5 × 4 + 13 = 28: 65 hours open to the public, none counted twice."""
    frame = read_csv(shared_data / "libraries/libraries_uk_librarieshacked_schema.csv")
    hours, malformed = weekly_from_days(frame)
    airyhall = frame.index[frame["Library name"] == "Airyhall Library"][0]
    assert hours[airyhall] == 50.0
    berkhamsted = frame[(frame["Library name"] == "Berkhamsted Library") & (frame["Postcode"] == "HP4 3HB")]
    assert berkhamsted.iloc[0]["Monday unstaffed hours"] == "07:00-09:30,17:30-20:00"
    staffed, _ = weekly_from_days(berkhamsted, ("staffed",))
    assert staffed.iloc[0] == 37.0 and hours[berkhamsted.index[0]] == 65.0
    assert hours.notna().sum() == 2950 and malformed == 6
    assert weekly_total(frame["Library name"].head(3)).isna().all()  # not numbers: unknown, never 0


def test_mobile_stops_are_places_with_their_timetable(loaded, shared_data):
    with open(shared_data / STOPS / "york.csv", encoding="utf-8-sig") as f:
        visits = list(csv.DictReader(f))

    def hours(v):  # duration × visits a week; York's visits are all FREQ=WEEKLY;INTERVAL=n
        (h1, m1), (h2, m2) = (map(int, v[t].split(":")) for t in ("arrival", "departure"))
        return (h2 + m2 / 60 - h1 - m1 / 60) / int(v["frequency"].split("INTERVAL=")[1])

    stops = {}
    for v in visits:
        stops.setdefault((v["community"], v["stop"], v["geox"], v["geoy"]), []).append(v)
    rows = loaded.connect().execute(text(
        "SELECT p.name, p.category, p.attributes, ST_X(p.geom), ST_Y(p.geom), s.year, s.status FROM places p "
        "JOIN place_status s ON s.place_id = p.id WHERE p.source = 'librarieshacked-mobile-stops-york'")).all()
    assert len(rows) == len(stops) == 53
    assert {r.category for r in rows} == {"mobile_library_stop"} and {(r.year, r.status) for r in rows} == {(2019, "open")}
    by_name = {r.name: r for r in rows}
    for (community, stop, x, y), calls in stops.items():
        row = by_name[f"{community}: {stop}"]
        assert row.attributes["weekly_hours"] == pytest.approx(sum(hours(v) for v in calls), abs=0.0051)  # stored to 0.01 h
        assert row.attributes["authority_code"] == YORK and len(row.attributes["visits"]) == len(calls)
        assert (row[3], row[4]) == pytest.approx((float(x), float(y)))
    report = load_files(loaded)("mobile-library-stops", shared_data / STOPS / "york.csv")
    assert report.changed == 0 and report.new == 0  # a reload is a no-op


def test_activity_indicators_are_the_workbook_figures(loaded, shared_data):
    grid = CalamineWorkbook.from_path(shared_data / ACTIVITY).get_sheet_by_name("Activity Data 2024").to_python()
    header, rows = grid[0], grid[1:]
    rutland = next(r for r in rows if r[1] == "Rutland")
    visits = sum(v for name, v in zip(header, rutland)
                 if name.startswith("Physical Visitors") and isinstance(v, (int, float)))
    with loaded.connect() as conn:  # closed here: a failing assertion's traceback must not hold a transaction open
        stored = dict(conn.execute(text(
            "SELECT indicator, value FROM indicators WHERE area_code = :r AND period = '2023-24'"), {"r": RUTLAND}).all())
    assert stored["library_activity_active_members"] == rutland[header.index("Total Active Members")] == 5609
    assert stored["library_activity_visits"] == pytest.approx(visits) and visits > 0
    assert stored["library_activity_visits"] == pytest.approx(
        stored["library_activity_visits_library_only"] + stored.get("library_activity_visits_colocated", 0))
    assert scalar(loaded, "SELECT count(DISTINCT area_code) FROM indicators "
                          "WHERE indicator LIKE 'library_activity_%'") == len(rows) == 129
    total = scalar(loaded, "SELECT sum(value) FROM indicators WHERE indicator = 'library_activity_active_members'")
    assert total == sum(r[header.index("Total Active Members")] for r in rows
                        if isinstance(r[header.index("Total Active Members")], (int, float)))
    # a blank is no figure: a service with no mobile library has no value, never 0
    blank = [r[1] for r in rows if not any(isinstance(v, (int, float)) and not math.isnan(v)
                                           for name, v in zip(header, r) if name.startswith("Mobile Libraries"))]
    assert blank and scalar(loaded, "SELECT count(*) FROM indicators i JOIN areas a ON a.code = i.area_code "
                                    "WHERE i.indicator = 'library_activity_mobile_library_interactions' "
                                    "AND a.name = ANY(:n)", n=blank) == 0
