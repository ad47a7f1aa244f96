"""What the demo needs before it loads: every file of a manifest, from beside the clone
(../shared/data, used as it is) or else fetched into the data cache."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from datasets.catalog import Catalog, CatalogFile
from datasets.download import Fetcher, check


def needed(manifest: Path, catalog: Catalog, cache: Path) -> list[CatalogFile]:
    """The catalog files a manifest names that are neither under its base nor in ``cache`` as the
    catalog pins them (a cached copy is checked by SHA-256 before it is loaded, and fetched again
    when wrong); ValueError for a manifest file the catalog does not know."""
    from loaders.manifest import read_manifest

    files = {f.path: f for f in catalog.files}

    def wanted(entry) -> bool:
        if not entry.path.exists():
            return True
        pinned = files.get(entry.relative)
        return bool(pinned and entry.path.is_relative_to(cache) and check(pinned, entry.path))

    absent = list(dict.fromkeys(e.relative for e in read_manifest(manifest, cache) if wanted(e)))
    unknown = [path for path in absent if path not in files]
    if unknown:
        raise ValueError(f"not in data/catalog.toml (re-run scripts/build_catalog.py): {', '.join(unknown)}")
    return [files[path] for path in absent]


def describe(files: list[CatalogFile], mirror: str | None, cache: Path) -> str:
    """The line said before a fetch: how many files, how large in all, from where, to where."""
    size = sum(f.size or 0 for f in files)
    where = f"the mirror {mirror}" if mirror else "their publishers' pinned copies"
    return f"fetching {len(files)} files, {size / 1e6:.1f} MB in all, from {where} into {cache}"


def ensure(manifest: Path, catalog: Catalog, fetcher: Fetcher, say: Callable[[str], None]) -> int:
    """Fetch what ``manifest`` misses into the fetcher's cache; the number of files fetched."""
    files = needed(manifest, catalog, fetcher.dest)
    if files:
        say(describe(files, fetcher.mirror, fetcher.dest))
        fetcher.fetch_all(files)
    return len(files)
