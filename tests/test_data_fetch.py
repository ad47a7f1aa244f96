"""`kindmap data fetch` against a loopback mirror of ../shared/data (no internet): every file arrives
as the catalog pins it; a cut connection resumes by Range; a corrupted byte, a truncated file, a
404, an HTML page, a stalled server and a file that is no PBF are refused in one line, and leave
nothing in the cache but (for a resumable download) a .part."""
import dataclasses
import gzip
import json
import shutil

import pytest

from datasets.catalog import catalog
from datasets.download import Fetcher, FetchError, missing
from tests.mirror_server import serving

LOOKUP = "lookups/lsoa11_to_lsoa21_to_lad22.csv"  # 2.9 MB: several chunks, cut half-way


@pytest.fixture(scope="module")
def mirror(shared_data):
    with serving(shared_data) as server:
        yield server


@pytest.fixture
def server(mirror):
    mirror.faults.clear(), mirror.sent.clear(), mirror.ranges.clear(), mirror.proxied.clear()
    mirror.stall_s = 5.0
    return mirror


def fetcher(dest, mirror_url, **options):
    options = {"timeout_s": 5, "attempts": 3, "backoff_s": 0.01, "progress": False} | options
    return Fetcher(dest, mirror=mirror_url, **options)


def file(path):
    return next(f for f in catalog().files if f.path == path)


def leftovers(dest):
    return sorted(str(p.relative_to(dest)) for p in dest.rglob("*") if p.is_file())


def test_fetch_all_gives_every_catalog_file_and_a_second_run_fetches_nothing(server, tmp_path):
    files = catalog().select()
    assert {f.group for f in files} >= {"boundaries", "lookups", "spending", "libraries", "osm"}
    assert all(f.pinned for f in files) and not any(f.group == "osm-england" for f in files)
    with fetcher(tmp_path, server.url) as f:
        f.fetch_all(files)
    assert missing(files, tmp_path) == []  # every size and SHA-256 as the catalog pins them
    assert leftovers(tmp_path) == sorted(f.path for f in files)  # no .part left
    assert sum(server.sent.values()) == sum(f.size for f in files)
    assert missing(files, tmp_path) == []  # so `data fetch` again asks the server for nothing


def test_a_cut_connection_resumes_with_a_range_request(server, tmp_path):
    server.faults[LOOKUP] = "cut"
    with fetcher(tmp_path, server.url) as f:
        f.fetch(file(LOOKUP))
    assert missing([file(LOOKUP)], tmp_path) == []
    (path, first), = server.ranges
    assert path == LOOKUP and 0 < first <= file(LOOKUP).size // 2
    # the second request sent only the rest: the bytes cut at the half, not the file again
    assert server.sent[LOOKUP] < file(LOOKUP).size * 1.1


@pytest.mark.parametrize("fault, message", [
    ("corrupt", "is not the catalog's"),
    ("gone", "HTTP 404 Not Found"),
    ("html", "the server sent an HTML page, not the file"),
])
def test_a_bad_answer_is_refused_in_one_line_and_nothing_is_kept(server, tmp_path, fault, message):
    server.faults[LOOKUP] = fault
    with fetcher(tmp_path, server.url) as f, pytest.raises(FetchError) as error:
        f.fetch(file(LOOKUP))
    text = str(error.value)
    assert text.startswith(f"{LOOKUP}: {server.url}/{LOOKUP}") and message in text and "\n" not in text
    assert text.endswith("nothing kept")
    assert leftovers(tmp_path) == []


@pytest.fixture
def two_origins(shared_data, tmp_path):
    """A loopback server holding the lookup twice: as the pinned copy and as the publisher's."""
    upstream = tmp_path / "upstream"
    for origin in ("pinned", "publisher"):
        (upstream / origin).mkdir(parents=True)
        shutil.copy(shared_data / LOOKUP, upstream / origin / "lookup.csv")
    with serving(upstream) as server:
        yield server, dataclasses.replace(file(LOOKUP), urls=(f"{server.url}/pinned/lookup.csv",
                                                              f"{server.url}/publisher/lookup.csv"))


@pytest.mark.parametrize("fault", ["gone", "corrupt", "html"])
def test_when_the_pinned_url_fails_the_publishers_is_tried_and_checked(two_origins, tmp_path, fault):
    """The catalog's URLs in order (the pinned copy, then the publisher's download): the first
    404s or answers wrong bytes, the second serves the file, which must pass the same SHA-256."""
    server, lookup = two_origins
    server.faults["pinned/lookup.csv"] = fault
    with fetcher(tmp_path / "cache", None) as f:
        f.fetch(lookup)
    assert missing([lookup], tmp_path / "cache") == []
    assert leftovers(tmp_path / "cache") == [LOOKUP]
    assert server.sent["publisher/lookup.csv"] == lookup.size


def test_when_every_url_fails_each_is_named_in_order_and_nothing_is_kept(two_origins, tmp_path):
    server, lookup = two_origins
    server.faults["pinned/lookup.csv"], server.faults["publisher/lookup.csv"] = "gone", "corrupt"
    with fetcher(tmp_path / "cache", None) as f, pytest.raises(FetchError) as error:
        f.fetch(lookup)
    text = str(error.value)
    pinned, publisher = lookup.urls
    assert text.startswith(f"{LOOKUP}: {pinned}: HTTP 404 Not Found; {publisher}: SHA-256 ")
    assert text.endswith("nothing kept") and "\n" not in text
    assert leftovers(tmp_path / "cache") == []


def test_a_stalled_server_times_out_and_keeps_only_the_part(server, tmp_path):
    server.faults[LOOKUP], server.stall_s = "stall", 2.0
    with fetcher(tmp_path, server.url, timeout_s=0.3, attempts=2) as f, pytest.raises(FetchError) as error:
        f.fetch(file(LOOKUP))
    assert "no data for 0.3 s in 2 attempts (the server stalled)" in str(error.value)
    # each attempt got 1,000 bytes before the stall, the second by Range after the first's: they
    # wait in the .part for the next run to resume from
    assert server.ranges == [(LOOKUP, 1000)]
    assert leftovers(tmp_path) == [LOOKUP + ".part"]
    assert (tmp_path / (LOOKUP + ".part")).read_bytes() == (server.root / LOOKUP).read_bytes()[:2000]


def test_a_truncated_file_in_a_directory_mirror_is_refused(shared_data, tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "lookups").mkdir(parents=True)
    good = (shared_data / LOOKUP).read_bytes()
    (mirror / LOOKUP).write_bytes(good[:1000])
    cache = tmp_path / "cache"
    with fetcher(cache, str(mirror)) as f, pytest.raises(FetchError) as error:
        f.fetch(file(LOOKUP))
    assert f"got 1,000 of {len(good):,} bytes (truncated)" in str(error.value)
    assert leftovers(cache) == []


def test_a_gzipped_upstream_copy_is_unpacked_then_checked(shared_data, tmp_path):
    """The IMD 2019 File 1 is committed gzipped (SOURCES.md: "gunzipped"): the pinned URL's bytes
    are unpacked and the result must carry the catalog's SHA-256."""
    imd = file("deprivation/imd2019_lsoa11_file1.csv")
    assert imd.compression == "gzip" and imd.urls[0].endswith(".csv.gz")
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    (upstream / "file1.csv.gz").write_bytes(gzip.compress((shared_data / imd.path).read_bytes()))
    with serving(upstream) as server:
        local = dataclasses.replace(imd, urls=(f"{server.url}/file1.csv.gz",))
        with fetcher(tmp_path / "cache", None) as f:
            f.fetch(local)
    assert missing([imd], tmp_path / "cache") == []
    assert leftovers(tmp_path / "cache") == [imd.path]


def test_the_england_osm_extract_is_checked_by_format_and_size(shared_data, tmp_path):
    """osm-england is not pinned (it changes daily): a PBF of plausible size is kept, anything
    else refused. Served here by a real (Rutland) PBF: the tests never download England."""
    england = next(f for f in catalog().files if f.group == "osm-england")
    assert england.optional and not england.pinned and england.loads == ({"kind": "osm"},)
    assert england.urls == ("https://download.geofabrik.de/europe/united-kingdom/england-latest.osm.pbf",)
    upstream = tmp_path / "upstream"
    upstream.mkdir()
    shutil.copy(shared_data / "osm" / "rutland-latest.osm.pbf", upstream / "england.osm.pbf")
    shutil.copy(shared_data / LOOKUP, upstream / "not-a.osm.pbf")
    with serving(upstream) as server, fetcher(tmp_path / "cache", None) as f:
        small = dataclasses.replace(england, urls=(f"{server.url}/england.osm.pbf",), min_size=1_000_000)
        assert f.fetch(small).stat().st_size == (shared_data / "osm" / "rutland-latest.osm.pbf").stat().st_size
        with pytest.raises(FetchError, match="fewer than the 500,000,000 an extract of it has"):
            f.fetch(dataclasses.replace(england, urls=small.urls))
        with pytest.raises(FetchError, match="not an OSM PBF file"):
            f.fetch(dataclasses.replace(small, urls=(f"{server.url}/not-a.osm.pbf",)))
    assert leftovers(tmp_path / "cache") == [england.path]  # the one good copy


def test_the_proxy_in_the_environment_is_used(server, tmp_path, monkeypatch):
    """HTTP(S)_PROXY is honoured: the loopback server, named as the proxy, is asked for a mirror
    whose host does not exist (.invalid never resolves: only the proxy can answer)."""
    monkeypatch.setenv("HTTP_PROXY", server.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with fetcher(tmp_path, "http://kindmap-mirror.invalid") as f:
        f.fetch(file(LOOKUP))
    assert server.proxied == [f"http://kindmap-mirror.invalid/{LOOKUP}"]
    assert missing([file(LOOKUP)], tmp_path) == []


def test_the_data_commands(server, tmp_path):
    """`kindmap data fetch --only` (groups comma-separated) states what it fetches and its size,
    `data status` shows it cached and the rest absent, `data path` where a file is; an unknown
    group is a one-line error."""
    from typer.testing import CliRunner

    from cli.main import cli

    runner = CliRunner()
    fetched = runner.invoke(cli, ["data", "fetch", "--only", "lookups,population", "--dest", str(tmp_path),
                                  "--mirror", server.url])
    chosen = catalog().select(["lookups", "population"])
    assert fetched.exit_code == 0, fetched.output
    assert fetched.output.splitlines()[0] == (f"fetching {len(chosen)} files, "
                                             f"{sum(f.size for f in chosen) / 1e6:.1f} MB in all, from the "
                                             f"mirror {server.url} into {tmp_path}")
    assert runner.invoke(cli, ["data", "fetch", "--only", "lookups", "--dest", str(tmp_path)]).output == \
        f"all {len(catalog().select(['lookups']))} files are in {tmp_path}, as the catalog pins them\n"  # asks nothing
    shown = runner.invoke(cli, ["data", "status", "--dest", str(tmp_path), "--json"])
    states = {row["path"]: row["cache"] for row in json.loads(shown.output)}
    assert states[LOOKUP] in ("cached", "beside the clone") and states["osm/england-latest.osm.pbf"] == "absent"
    assert runner.invoke(cli, ["data", "path", "osm-england", "--dest", str(tmp_path)]).output == \
        f"{tmp_path / 'osm' / 'england-latest.osm.pbf'}\n"
    unknown = runner.invoke(cli, ["data", "fetch", "--only", "nowhere", "--dest", str(tmp_path)])
    assert unknown.exit_code == 2 and "unknown group nowhere; the catalog has: boundaries" in unknown.output


def test_a_cached_copy_is_checked_before_the_demo_loads_it(shared_data, tmp_path):
    """A file in the cache that is not the catalog's bytes (changed since it was fetched) is
    fetched again, never loaded: `ensure.needed` lists it; an intact copy it does not."""
    from datasets.ensure import needed
    from loaders.manifest import PUBLISHED_MANIFEST

    manifest = tmp_path / "shared-data.toml"
    manifest.write_text(PUBLISHED_MANIFEST.read_text().replace('base = "../../../shared/data"', 'base = "nowhere"'))
    cache = tmp_path / "cache"
    good, bad = file(LOOKUP), file("lookups/lsoa21_to_utla23.csv")
    for f in (good, bad):
        (cache / f.path).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared_data / f.path, cache / f.path)
    with open(cache / bad.path, "r+b") as handle:  # one byte changed
        handle.seek(100)
        handle.write(b"#")
    wanted = needed(manifest, catalog(), cache)
    assert bad in wanted and good not in wanted and len(wanted) == len(catalog().select()) - 1
