"""The shipped manifest loads all of ../shared/data in one go, and loading it again changes nothing."""
import pytest

from loaders import KINDS
from loaders.manifest import PUBLISHED_MANIFEST as SHARED_MANIFEST
from loaders.manifest import SAMPLE_MANIFEST, missing_files, read_manifest
from tests.conftest import ROOT, load_manifest, scalar


def test_shared_data_manifest_loads_everything_and_reloads_as_noop(db, shared_data):
    first = load_manifest(db, SHARED_MANIFEST)
    assert all(r.status == "loaded" for r in first), [(r.file, r.status) for r in first]
    assert {r.kind for r in first} == set(KINDS)  # every kind of loader is exercised
    # Published figures, across sources loaded together:
    assert scalar(db, "SELECT sum(value) FROM indicators WHERE indicator = 'population' "
                      "AND area_code LIKE 'E01%'") == 57_106_398
    assert scalar(db, "SELECT round(sum(amount_gbp) / 1e6) FROM spending WHERE dataset = 'RS' "
                      "AND service = 'public_health' AND financial_year = '2014-15'") == 2737
    assert scalar(db, "SELECT count(*) FROM places WHERE source = 'dcms-libraries-2016'") == 3238
    assert scalar(db, "SELECT count(*) FROM places WHERE source = 'osm' AND category = 'library'") == 4
    second = load_manifest(db, SHARED_MANIFEST)
    assert [(r.file, r.new, r.changed) for r in second if r.new or r.changed] == []


def test_demo_takes_the_published_files_only_when_all_are_there(shared_data, tmp_path):
    """`kindmap demo` loads the published manifest when missing_files() is empty, else the sample."""
    assert missing_files(SHARED_MANIFEST) == []
    elsewhere = tmp_path / "manifest.toml"
    elsewhere.write_text(SHARED_MANIFEST.read_text().replace('base = "../../../shared/data"', 'base = "nowhere"'))
    missing = missing_files(elsewhere)
    assert len(missing) == len(read_manifest(SHARED_MANIFEST)) and missing[0].parent.name == "boundaries"


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
