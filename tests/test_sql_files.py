"""store/sql.py, the one reader of .sql files: includes, fragments over a row alias, templates
without comments, a file's statements; and every package's statements read as they are run."""
import pytest

from store.sql import SqlFiles


@pytest.fixture
def files(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir(), upper.mkdir()
    (lower / "hashed.sql").write_text("-- {r} is a row\nmd5({r}.name);\n")
    (lower / "years.sql").write_text("SELECT year FROM place_years\n-- no semicolon inside\n;\n")
    (upper / "query.sql").write_text("-- the query\nSELECT {{hashed(a)}} FROM ({{years}}) y, places a\n")
    (upper / "two.sql").write_text("-- first\nCREATE TEMP TABLE t (i int);\n\n-- only a comment;\nINSERT INTO t VALUES (1);\n")
    return SqlFiles(upper, SqlFiles(lower))


def test_includes_come_from_the_searched_directories_without_comments_or_semicolons(files):
    assert files.text("query") == "-- the query\nSELECT md5(a.name) FROM (SELECT year FROM place_years) y, places a\n"
    assert files.template("query") == "SELECT md5(a.name) FROM (SELECT year FROM place_years) y, places a"


def test_statements_skip_comment_only_parts(files):
    assert files.statements("two") == ["-- first\nCREATE TEMP TABLE t (i int)", "INSERT INTO t VALUES (1)"]


def test_a_missing_include_says_where_it_looked(files, tmp_path):
    (tmp_path / "upper" / "broken.sql").write_text("SELECT {{nowhere}}")
    with pytest.raises(FileNotFoundError, match="nowhere.sql"):
        files.text("broken")


def test_every_room_reads_its_statements():
    """Each package's reader resolves every include of every file it holds."""
    from analysis.sql import SQL as ANALYSIS
    from edits.sql import SQL as EDITS
    from places.sql import SQL as PLACES

    for reader in (ANALYSIS, EDITS, PLACES):
        for path in sorted(reader.directory.glob("*.sql")):
            assert "{{" not in reader.text(path.stem), path
