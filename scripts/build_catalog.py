"""Regenerate data/catalog.toml and docs/data.md from the manifest, ../shared/data and
data/catalog-sources.toml. Run it after adding a file to data/manifests/shared-data.toml (and its
source to data/catalog-sources.toml, if it comes from a dataset not there yet):

    .venv/bin/python scripts/build_catalog.py [SHARED_DATA]     # default ../shared/data

tests/test_catalog.py fails while the catalog or docs/data.md is out of date.
"""
import sys
from pathlib import Path

from datasets.build import ROOT, CatalogError, write
from datasets.catalog import CATALOG
from loaders.manifest import PUBLISHED_MANIFEST

if __name__ == "__main__":
    shared = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data"
    try:
        write(PUBLISHED_MANIFEST, shared, CATALOG)
    except CatalogError as error:
        sys.exit(f"error: {error}")
    print(f"wrote {CATALOG.relative_to(ROOT)} and docs/data.md")
