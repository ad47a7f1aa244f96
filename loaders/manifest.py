"""Manifests: a TOML or YAML list of files to load, so a deployment rebuilds with one command.

    base = "../shared/data"          # optional; paths are relative to it (itself relative to
                                     # the manifest's folder); a file not there is looked for in
                                     # the data cache (KINDMAP_DATA_DIR, where `kindmap data fetch`
                                     # puts the catalog's files), so the manifest loads either
    [[load]]
    kind = "boundaries"
    path = "boundaries/lad_dec2023_uk_buc.topojson"
    level = "ltla"                   # every other key is an option of that kind
    vintage = "2023-12"
"""
from __future__ import annotations

import inspect
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from store.settings import data_settings

DATA = Path(__file__).resolve().parent.parent / "data"
SAMPLE_MANIFEST = DATA / "sample" / "manifest.toml"
# Every published file of ../shared/data: what the demo adds to the sample when those files are
# there (population, deprivation, lookups and spending workbooks are too large to bundle).
PUBLISHED_MANIFEST = DATA / "manifests" / "shared-data.toml"


@dataclass
class Entry:
    kind: str
    path: Path
    options: dict = field(default_factory=dict)
    strict: bool = False
    relative: str = ""  # the path as the manifest writes it (relative to its base): the catalog's key


def read_manifest(path: Path, cache: Path | None = None) -> list[Entry]:
    """The entries of a manifest, checked against the loaders' own options (ValueError if wrong).
    A file missing under the manifest's base resolves to ``cache`` (default: the data cache)."""
    from loaders import KINDS

    path = Path(path)
    document = _document(path)
    base = base_of(path)
    if cache is None:
        cache = data_settings().data_dir
    entries = []
    for number, item in enumerate(document["load"], start=1):
        item = dict(item)
        kind = item.pop("kind", None)
        if kind not in KINDS:
            raise ValueError(f"entry {number}: unknown kind {kind!r}; known: {sorted(KINDS)}")
        if "path" not in item:
            raise ValueError(f"entry {number}: no path")
        relative = item.pop("path")
        file = base / relative
        if not file.exists() and (cache / relative).exists():
            file = cache / relative
        strict = bool(item.pop("strict", False))
        accepted = list(inspect.signature(KINDS[kind].load).parameters)[2:]
        unknown = sorted(set(item) - set(accepted))
        if unknown:
            raise ValueError(f"entry {number} ({kind}): unknown options {unknown}; accepted: {accepted}")
        entries.append(Entry(kind, file, item, strict, relative))
    return entries


def base_of(path: Path) -> Path:
    """The folder a manifest's paths are relative to (its ``base``)."""
    path = Path(path)
    return (path.parent / _document(path).get("base", ".")).resolve()


def _document(path: Path) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
        document = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else tomllib.loads(text)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise ValueError(f"cannot read manifest: {error}") from error
    if not isinstance(document, dict) or not isinstance(document.get("load"), list):
        raise ValueError("a manifest needs a list of [[load]] entries")
    return document
