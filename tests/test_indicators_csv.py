"""indicators-csv: any CSV of area statistics, proven on the Libraries Hacked authorities file."""
import csv

import pytest
from sqlalchemy import text

from store.errors import LoadError
from tests.conftest import damaged_copy, scalar

OPTIONS = dict(period="2015", prefix="libraries2016_", source="libraries-hacked-authorities-2016",
               publisher="Libraries Hacked", licence="not stated")


@pytest.fixture(scope="module")
def authorities(shared_data):
    return shared_data / "libraries" / "library_authorities_england_2016.csv"


@pytest.fixture(scope="module")
def published(authorities):
    """The file read independently: header (repeats kept) and rows, by position."""
    with authorities.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def value(db, code, indicator, period="2015"):
    return scalar(db, "SELECT value FROM indicators WHERE area_code = :c AND indicator = :i "
                      "AND period = :p", c=code, i=indicator, p=period)


def state(db):
    return (scalar(db, "SELECT count(*) FROM indicators"), scalar(db, "SELECT count(*) FROM import_runs"),
            scalar(db, "SELECT count(*) FROM sources"))


def write(tmp_path, header, rows, name="stats.csv"):
    path = tmp_path / name
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path


def test_library_authorities_2016(load, db, authorities, published):
    header, rows = published
    report = load("indicators-csv", authorities, **OPTIONS)
    assert report.status == "loaded"
    # 25 columns: authority_id (an identifier), name and code are not values; 22 are.
    assert (report.rows_read, report.new, report.rejected) == (151, 151 * 22, 0)
    assert scalar(db, "SELECT count(DISTINCT area_code) FROM indicators") == 151 == len(rows)
    assert scalar(db, "SELECT count(DISTINCT indicator) FROM indicators") == 22
    assert scalar(db, "SELECT count(*) FROM indicators WHERE indicator = 'libraries2016_authority_id'") == 0
    assert scalar(db, "SELECT count(*) FROM indicators WHERE value IS NULL") == 0
    code = header.index("code")
    by_code = {r[code]: r for r in rows}
    trafford = by_code["E08000009"]
    assert value(db, "E08000009", "libraries2016_population") == float(trafford[header.index("population")])
    assert value(db, "E08000009", "libraries2016_hectares") == float(trafford[header.index("hectares")])
    # 'education' is printed twice: the first is column 8, the second (read as education_2) column 15.
    first, second = [i for i, h in enumerate(header) if h == "education"]
    for row in rows[:3]:
        assert value(db, row[code], "libraries2016_education") == float(row[first])
        assert value(db, row[code], "libraries2016_education_2") == float(row[second])
    assert any("repeats the header 'education'" in n for n in report.notes)
    total = sum(int(r[header.index("population")]) for r in rows)
    assert scalar(db, "SELECT sum(value)::bigint FROM indicators WHERE indicator = "
                      "'libraries2016_population'") == total
    assert scalar(db, "SELECT s.key || '|' || s.publisher FROM import_runs r JOIN sources s "
                      "ON s.id = r.source_id") == "libraries-hacked-authorities-2016|Libraries Hacked"
    assert load("indicators-csv", authorities, **OPTIONS).status.startswith("no-op")


def test_chosen_columns_code_field_and_prefix(load, db, authorities, published):
    header, rows = published
    report = load("indicators-csv", authorities, period="2015", code_field="code",
                  columns="population, over_sixty,education_2")
    assert report.new == 151 * 3
    assert scalar(db, "SELECT string_agg(DISTINCT indicator, ',') FROM indicators") == \
        "education_2,over_sixty,population"
    assert value(db, rows[0][2], "over_sixty") == float(rows[0][header.index("over_sixty")])
    with pytest.raises(LoadError, match="not in the file"):
        load("indicators-csv", authorities, period="2015", columns="population,nope")
    with pytest.raises(LoadError, match="not a column of the file"):
        load("indicators-csv", authorities, period="2015", code_field="gss")
    with pytest.raises(LoadError, match="--period is required"):
        load("indicators-csv", authorities, period=" ")


def test_numbers_blanks_and_bad_values(load, db, published, tmp_path):
    header, rows = published
    rows = [list(r) for r in rows]
    pop, hectares, code = header.index("population"), header.index("hectares"), header.index("code")
    rows[0][pop] = f"{int(rows[0][pop]):,}"  # row 2: '201,979' — a thousands separator
    rows[1][hectares] = ""                    # row 3: blank → NULL
    rows[2][pop] = "lots"                     # row 4: rejected
    rows[3][code] = "E0900000X"               # row 5: rejected
    rows[4][pop], rows[4][hectares] = "1,2,3", "n/a"  # row 6: rejected, both cells named
    rows[5][code] = rows[6][code]             # row 7 and row 8 share a code: row 8 left out
    report = load("indicators-csv", write(tmp_path, header, rows), period="2015")
    assert report.rejected == 4 and report.rows_read == 151
    assert [(r["location"], r["column"]) for r in report.rejections] == [
        ("row 5", "code"), ("row 8", "code"), ("row 4", "population"), ("row 6", "hectares")]
    assert "'1,2,3'" in report.rejections[3]["reason"] and "'n/a'" in report.rejections[3]["reason"]
    assert scalar(db, "SELECT count(DISTINCT area_code) FROM indicators") == 147
    assert value(db, rows[0][code], "population") == 201979
    assert value(db, rows[1][code], "hectares") is None
    assert scalar(db, "SELECT count(*) FROM indicators WHERE area_code = :c AND indicator = 'hectares'",
                  c=rows[1][code]) == 1  # stored, as NULL
    assert scalar(db, "SELECT count(*) FROM indicators WHERE area_code = :c", c=rows[2][code]) == 0
    assert value(db, rows[5][code], "population") == float(rows[5][pop])  # the first of the two rows
    # --missing markers count as blanks; anything else still rejects its row.
    rows[2][pop] = ".."
    report = load("indicators-csv", write(tmp_path, header, rows), period="2015", missing="..")
    assert report.rejected == 3 and value(db, rows[2][code], "population") is None


def test_refused_files_leave_the_database_unchanged(load, db, authorities, published, tmp_path):
    load("indicators-csv", authorities, **OPTIONS)
    before = state(db)
    for damage, message in [("empty", "file is empty"), ("header only", "header but no rows"),
                            ("truncated", "truncated or malformed"), ("binary", "not a")]:
        with pytest.raises(LoadError, match=message):
            load("indicators-csv", damaged_copy(authorities, damage, tmp_path), **OPTIONS)
    renamed = damaged_copy(authorities, "missing column", tmp_path, (b",code,", b",gss,"))
    with pytest.raises(LoadError, match="--code-field 'code' is not a column"):
        load("indicators-csv", renamed, period="2015", code_field="code")
    header, rows = published
    code = header.index("code")
    no_codes = write(tmp_path, [h for i, h in enumerate(header) if i != code],
                     [[c for i, c in enumerate(r) if i != code] for r in rows], "no_codes.csv")
    with pytest.raises(LoadError, match="no column of ONS GSS area codes"):
        load("indicators-csv", no_codes, period="2015")
    two_codes = write(tmp_path, [*header, "parent"], [[*r, "E92000001"] for r in rows], "two.csv")
    with pytest.raises(LoadError, match="several columns hold GSS codes"):
        load("indicators-csv", two_codes, period="2015")
    names_only = write(tmp_path, ["code", "name"], [[r[code], r[1]] for r in rows], "names.csv")
    with pytest.raises(LoadError, match="no numeric value columns"):
        load("indicators-csv", names_only, period="2015")
    assert state(db) == before
    with db.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM indicators WHERE indicator LIKE 'libraries2016_%'"
                                 )).scalar() == 151 * 22
