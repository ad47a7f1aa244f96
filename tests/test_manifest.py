"""The shipped manifest loads all of ../shared/data in one go, and loading it again changes nothing."""
import pytest

from loaders import KINDS
from loaders.manifest import SAMPLE_MANIFEST, read_manifest
from tests.conftest import ROOT, load_manifest, scalar

SHARED_MANIFEST = ROOT / "data" / "manifests" / "shared-data.toml"


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
