"""`kindmap data status`: per catalog file, whether it is in the cache as the catalog has it, and
whether the database holds it (an import run with its SHA-256), an older copy (a run of the same
file name with another SHA-256: stale), or nothing."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from datasets.catalog import Catalog, CatalogFile
from datasets.download import check
from store.sql import SqlFiles

FINE = ("cached", "beside the clone", "absent")
LOADED_FILES = SqlFiles.beside(__file__).statement("loaded_files")


@dataclass(frozen=True)
class FileStatus:
    file: CatalogFile
    cache: str     # "cached", "beside the clone", "absent", "partial (N bytes)", or why a copy is wrong
    database: str  # "loaded (run N)", "stale: run N loaded other bytes", "not loaded", "unknown"

    @property
    def stale(self) -> bool:
        wrong_copy = self.cache not in FINE and not self.cache.startswith("partial")
        return self.database.startswith("stale") or wrong_copy


def cache_state(file: CatalogFile, dest: Path, beside: Path | None = None) -> str:
    """The cached copy's state; a file beside the clone (../shared/data) is as good as cached."""
    for root, fine in ((beside, "beside the clone"), (dest, "cached")):
        path = root / file.path if root else None
        if path and path.is_file():
            problem = check(file, path)
            return fine if problem is None else problem
    part = dest / (file.path + ".part")
    return f"partial ({part.stat().st_size:,} bytes)" if part.exists() else "absent"


def loaded(engine: Engine | None) -> list[tuple[str, str, int]] | None:
    """(file name, SHA-256, newest run id) of every loaded file; None without a database."""
    if engine is None:
        return None
    with engine.connect() as conn:
        return [(r.file_name, r.file_sha256, r.run_id) for r in conn.execute(LOADED_FILES)]


def status(catalog: Catalog, dest: Path, engine: Engine | None = None,
           beside: Path | None = None) -> list[FileStatus]:
    runs = loaded(engine)
    rows = []
    for file in catalog.files:
        if runs is None:
            database = "unknown"
        else:
            name = Path(file.path).name
            same = [run for n, sha, run in runs if sha == file.sha256] if file.pinned else []
            other = [run for n, sha, run in runs if n == name and sha != file.sha256]
            if same:
                database = f"loaded (run {max(same)})"
            elif other and file.pinned:
                database = f"stale: run {max(other)} loaded other bytes"
            elif other:
                database = f"loaded (run {max(other)}; an extract, not pinned)"
            else:
                database = "not loaded"
        rows.append(FileStatus(file, cache_state(file, dest, beside), database))
    return rows
