"""The command line as a user runs it: demo twice (no duplicates), load errors, db url."""
import json
import os
import subprocess
import sys

import pytest

from loaders.manifest import SAMPLE_MANIFEST, read_manifest
from tests.conftest import ROOT, SAMPLE, scalar, served_api_url


def kindmap(*args, database_url, check=True):
    env = {**os.environ, "KINDMAP_DATABASE_URL": database_url, "KINDMAP_API_DATABASE_URL": served_api_url()}
    result = subprocess.run([sys.executable, "-m", "cli", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    if check and result.returncode != 0:
        pytest.fail(f"kindmap {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result


def test_demo_twice_duplicates_nothing(db, database_url):
    # --sample-only: the published files' demo is the same loop over a longer manifest (minutes here)
    first = kindmap("demo", "--no-serve", "--sample-only", database_url=database_url)
    counts = scalar(db, "SELECT (SELECT count(*) FROM places) || '/' || (SELECT count(*) FROM areas)")
    runs = scalar(db, "SELECT count(*) FROM import_runs")
    second = kindmap("demo", "--no-serve", "--sample-only", database_url=database_url)
    # 3,238 libraries + Rutland's 100 OSM third places; 9 regions + 218 counties/UAs + 361 districts
    # + Rutland's 26 LSOAs
    assert counts == "3338/614"
    assert scalar(db, "SELECT (SELECT count(*) FROM places) || '/' || (SELECT count(*) FROM areas)") == counts
    assert scalar(db, "SELECT count(*) FROM import_runs") == runs
    assert second.stdout.count("no-op") == len(read_manifest(SAMPLE_MANIFEST))
    # the analysis is refreshed after loads that changed something, and only then
    assert "analysis refreshed" in first.stderr and "analysis refreshed" not in second.stderr


def test_load_reports_json_and_errors(db, database_url, tmp_path):
    result = kindmap("load", "libraries-taskforce", str(SAMPLE / "libraries_england_taskforce_2016_geocoded.csv"),
                     "--json", "--dry-run", database_url=database_url)
    report = json.loads(result.stdout)
    assert report["rows_read"] == 3238 and report["new"] == 3238 and report["dry_run"]
    bad = tmp_path / "empty.csv"
    bad.write_text("")
    failed = kindmap("load", "libraries-taskforce", str(bad), database_url=database_url, check=False)
    assert failed.returncode != 0 and "empty" in failed.stderr and str(bad) in failed.stderr
    missing = kindmap("load", "boundaries", str(SAMPLE / "lad_dec2023_uk_buc.topojson"),
                      database_url=database_url, check=False)
    assert missing.returncode != 0 and "--level" in missing.stderr
    assert scalar(db, "SELECT count(*) FROM import_runs") == 0


def test_db_url_prefers_the_configured_database(database_url):
    assert kindmap("db", "url", database_url=database_url).stdout.strip() == database_url


def test_every_command_has_help():
    from typer.testing import CliRunner

    from cli.main import cli, register_kinds
    from loaders import KINDS

    register_kinds()
    runner = CliRunner()
    for command in (["--help"], ["db", "--help"], ["load", "--help"], ["serve", "--help"],
                    ["demo", "--help"], ["analyse", "--help"], ["load", "manifest", "--help"],
                    *(["load", kind, "--help"] for kind in KINDS)):
        result = runner.invoke(cli, command)
        assert result.exit_code == 0 and "Usage" in result.output, (command, result.output)
