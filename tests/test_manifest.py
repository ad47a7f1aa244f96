"""The shipped manifest loads all of the published data in one go, and loading it again changes
nothing. Loaded as a fresh clone gets it: with ../shared/data out of the manifest's reach, the
demo's fetch brings every file from a loopback mirror of it into an empty cache, and the national
totals are the published ones (the same files: every import run's SHA-256 is ../shared/data's)."""
import dataclasses
import hashlib

import pytest

from datasets.attribution import credit
from datasets.catalog import Catalog, catalog
from datasets.download import Fetcher
from datasets.ensure import ensure, needed
from datasets.status import status
from loaders import KINDS
from loaders.manifest import PUBLISHED_MANIFEST as SHARED_MANIFEST
from loaders.manifest import SAMPLE_MANIFEST, read_manifest
from tests.conftest import ROOT, load_manifest, scalar
from tests.mirror_server import serving


def hidden_manifest(directory):
    """The shipped manifest as a clone without ../shared/data beside it sees it."""
    hidden = directory / "shared-data.toml"
    hidden.write_text(SHARED_MANIFEST.read_text().replace('base = "../../../shared/data"', 'base = "nowhere"'))
    return hidden


@pytest.fixture(scope="module")
def fetched(shared_data, tmp_path_factory):
    """(manifest, cache, what the demo said): the published set fetched as `kindmap demo` does on
    a machine without ../shared/data, from a loopback mirror of it (KINDMAP_DATA_MIRROR)."""
    manifest, cache = hidden_manifest(tmp_path_factory.mktemp("clone")), tmp_path_factory.mktemp("cache")
    said = []
    with serving(shared_data) as server, Fetcher(cache, server.url, progress=False) as fetching:
        assert ensure(manifest, catalog(), fetching, said.append) == len(catalog().select())
        said = [line.replace(server.url, "MIRROR") for line in said]
    return manifest, cache, said


def test_shared_data_manifest_loads_everything_and_reloads_as_noop(db, shared_data, fetched):
    manifest, cache, said = fetched
    total = sum(f.size for f in catalog().select())
    assert said == [f"fetching {len(catalog().select())} files, {total / 1e6:.1f} MB in all, from the mirror "
                    f"MIRROR into {cache}"]
    entries = read_manifest(manifest, cache)
    assert all(e.path.is_relative_to(cache) for e in entries)  # nothing read beside the clone
    first = load_manifest(db, manifest, cache)
    assert all(r.status == "loaded" for r in first), [(r.file, r.status) for r in first]
    assert {r.kind for r in first} == set(KINDS)  # every kind of loader is exercised
    # Published figures, across sources loaded together:
    assert scalar(db, "SELECT sum(value) FROM indicators WHERE indicator = 'population' "
                      "AND area_code LIKE 'E01%'") == 57_106_398
    assert scalar(db, "SELECT round(sum(amount_gbp) / 1e6) FROM spending WHERE dataset = 'RS' "
                      "AND service = 'public_health' AND financial_year = '2014-15'") == 2737
    assert scalar(db, "SELECT count(*) FROM places WHERE source = 'dcms-libraries-2016'") == 3238
    assert scalar(db, "SELECT count(*) FROM places WHERE source = 'osm' AND category = 'library'") == 4
    # 22 mobile library timetables: 4,332 stop visits at 4,242 stops (SOURCES.md §11.3); ACE's 129 services
    assert scalar(db, "SELECT count(*) FROM places WHERE category = 'mobile_library_stop'") == 4242
    assert scalar(db, "SELECT count(DISTINCT area_code) FROM indicators WHERE indicator LIKE 'library_activity_%'") == 129
    # the very files of ../shared/data, so the same totals as a load from beside the clone
    with db.connect() as conn:
        runs = dict(conn.exec_driver_sql("SELECT file_name, file_sha256 FROM import_runs").all())
    assert runs == {e.path.name: hashlib.sha256((shared_data / e.relative).read_bytes()).hexdigest()
                    for e in entries}
    with db.connect() as conn:  # what the spending answers owe: MHCLG's workbooks, under OGL
        owed = credit(conn, ["spending"])
    assert [licence.key for licence in owed.licences] == ["OGL-UK-3.0"]
    assert owed.text.startswith("Contains public sector information licensed under the Open Government "
                                "Licence v3.0 (MHCLG, Local authority revenue expenditure and financing)")
    second = load_manifest(db, manifest, cache)
    assert [(r.file, r.new, r.changed) for r in second if r.new or r.changed] == []
    # `kindmap data status`: every pinned file cached and loaded; a catalog pinning new bytes of a
    # file the database holds older bytes of calls it stale
    rows = status(catalog(), cache, db)
    assert {(r.cache, r.database.split(" (")[0]) for r in rows if r.file.pinned} == {("cached", "loaded")}
    assert [r.database for r in rows if not r.file.pinned] == ["not loaded"]
    first_file = catalog().files[0]
    newer = Catalog(catalog().licences, catalog().datasets,
                    (dataclasses.replace(first_file, sha256="0" * 64),))
    (row,) = status(newer, cache, db)
    assert row.stale and row.database.startswith("stale: run ") and row.database.endswith("loaded other bytes")


def test_the_demo_fetches_only_what_is_not_beside_the_clone(shared_data, tmp_path):
    """With ../shared/data there the demo reads it in place (nothing to fetch); without, every
    catalog file the manifest names, the first a boundary file."""
    assert needed(SHARED_MANIFEST, catalog(), tmp_path) == []
    hidden = hidden_manifest(tmp_path)
    assert not any(e.path.exists() for e in read_manifest(hidden, tmp_path))
    wanted = needed(hidden, catalog(), tmp_path)
    assert wanted == catalog().select() and wanted[0].group == "boundaries"


def test_sample_manifest_is_real_bundled_data():
    entries = read_manifest(SAMPLE_MANIFEST)
    assert all(e.path.is_file() and e.path.parent == SAMPLE_MANIFEST.parent for e in entries)
    attribution = (SAMPLE_MANIFEST.parent / "ATTRIBUTION.md").read_text()
    assert all(e.path.name in attribution for e in entries)


@pytest.mark.parametrize("text, message", [
    ('[[load]]\nkind = "nope"\npath = "x"\n', "unknown kind"),
    ('[[load]]\nkind = "boundaries"\npath = "x"\nlevl = "ltla"\n', "unknown options"),
    ('[[load]]\nkind = "boundaries"\n', "no path"),
    ('load = 3\n', "list of"),
    ('[[load]\n', "cannot read"),
])
def test_bad_manifests_are_refused(tmp_path, text, message):
    path = tmp_path / "manifest.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=message):
        read_manifest(path)


def test_readme_lists_every_kind():
    readme = (ROOT / "README.md").read_text()
    assert [kind for kind in KINDS if f"`{kind}`" not in readme] == []


def test_the_registry_names_the_module_of_every_kind():
    """KINDS[name] imports only the module loaders.MODULES names: the map must be exactly what
    the modules of loaders/ declare (a new format's module, one line there)."""
    import importlib
    import pkgutil

    import loaders

    declared = {name: module.name for module in pkgutil.iter_modules(loaders.__path__)
                for name in getattr(importlib.import_module(f"loaders.{module.name}"), "KINDS", {})}
    assert loaders.MODULES == declared
