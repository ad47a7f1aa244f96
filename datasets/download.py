"""Fetch catalog files into the data cache, each one checked before it is kept.

httpx streams each download (timeouts on connect and on every read, so a stalled server is an
error, not a hang; HTTPS_PROXY / NO_PROXY from the environment) into ``<file>.part``, resumed with an
HTTP Range request after a cut connection; tenacity retries transient failures with exponential
backoff. Only a ``.part`` whose size and SHA-256 match the catalog (an extract: its format and
plausible size) is renamed into place, so the cache never holds a half-written or wrong file.
(pooch was measured against this: it restarts a cut download from byte 0 and has no total
progress; see the commit.)
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import tenacity
from tqdm import tqdm

from datasets.catalog import PBF_MAGIC, CatalogFile

CHUNK = 1 << 16
# httpx logs every request at INFO; the progress bars and the one-line errors say what happens
logging.getLogger("httpx").setLevel(logging.WARNING)
HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<?xml version=\"1.0\"?>\n<!doctype html")


class FetchError(Exception):
    """One file could not be fetched; the message is one line naming the file and the reason."""


class _Transient(Exception):
    """A failure worth another attempt (a 5xx, 429 or 408 answer)."""


@dataclass(frozen=True)
class Origin:
    """Where a file is fetched from: a URL, or a local directory mirror's copy."""

    location: str
    compression: str | None = None

    @property
    def local(self) -> bool:
        return "://" not in self.location


def origins(file: CatalogFile, mirror: str | None) -> list[Origin]:
    """Where ``fetch`` asks, in order: the catalog's URLs (the pinned repository copy, then the
    publisher's download where the catalog has one), each answer checked on its own. A mirror (URL
    or directory laid out like ../shared/data, serving files uncompressed) replaces them: an
    organisation hosting the set, or ../shared/data beside the clone, reaches nothing else."""
    if mirror:
        if "://" in mirror and not mirror.startswith("file://"):
            return [Origin(mirror.rstrip("/") + "/" + quote(file.path))]
        return [Origin(str(Path(mirror.removeprefix("file://")) / file.path))]
    return [Origin(url, file.compression) for url in file.urls]


def check(file: CatalogFile, path: Path) -> str | None:
    """Why ``path`` is not ``file`` (None when it is): size, hash, or for an extract its format."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        head = handle.read(64)
    if _looks_like_html(head) and not file.path.endswith((".html", ".htm")):
        return "the server sent an HTML page, not the file (an error or login page?)"
    if file.pinned:
        if size != file.size:
            return (f"got {size:,} of {file.size:,} bytes (truncated)" if size < file.size
                    else f"got {size:,} bytes, the catalog says {file.size:,}")
        digest = sha256_file(path)
        if digest != file.sha256:
            return f"SHA-256 {digest[:16]}… is not the catalog's {file.sha256[:16]}… (corrupted or changed)"
        return None
    if file.format == "osm.pbf" and head[4:15] != PBF_MAGIC:
        return "not an OSM PBF file (its first block is no OSMHeader)"
    if file.min_size and size < file.min_size:
        return f"only {size:,} bytes, fewer than the {file.min_size:,} an extract of it has (truncated?)"
    return None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _looks_like_html(head: bytes) -> bool:
    return head.lstrip().lower().startswith(HTML_STARTS)


def missing(files: list[CatalogFile], dest: Path) -> list[CatalogFile]:
    """The files not in ``dest`` as the catalog has them (absent, or failing ``check``)."""
    return [f for f in files if not (dest / f.path).is_file() or check(f, dest / f.path)]


def fetcher(dest: Path | None = None, mirror: str | None = None) -> Fetcher:
    """A Fetcher configured by the KINDMAP_DATA_* settings (``dest``, ``mirror`` override them)."""
    from store.settings import data_settings

    settings = data_settings()
    return Fetcher(dest or settings.data_dir, mirror or settings.data_mirror, settings.data_timeout_s,
                   settings.data_attempts)


class Fetcher:
    """Downloads with one HTTP client (its connection pool, timeouts and proxies) and two bars."""

    def __init__(self, dest: Path, mirror: str | None = None, timeout_s: float = 30.0, attempts: int = 5,
                 backoff_s: float = 0.5, progress: bool | None = None):
        self.dest, self.mirror, self.attempts, self.backoff_s = Path(dest), mirror, attempts, backoff_s
        self.timeout_s = timeout_s
        self.client = httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=True,
                                   headers={"User-Agent": "kindmap-data-fetch"})
        self.total = tqdm(total=None, unit="B", unit_scale=True, desc="total", position=0,
                          disable=None if progress is None else not progress)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_) -> None:
        self.client.close()
        self.total.close()

    def fetch_all(self, files: list[CatalogFile], on_done=None) -> list[Path]:
        """Fetch every file (in order), raising FetchError at the first that fails."""
        self.total.reset(total=sum(f.size or 0 for f in files) or None)
        paths = []
        for file in files:
            paths.append(self.fetch(file))
            if on_done:
                on_done(file, paths[-1])
        return paths

    def fetch(self, file: CatalogFile) -> Path:
        target = self.dest / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        errors = []
        for origin in origins(file, self.mirror):
            try:
                self._get(file, origin, part)
            except FetchError as error:
                errors.append(str(error))
                continue
            problem = check(file, part)
            if problem is None:
                os.replace(part, target)  # only a checked file gets the real name
                return target
            part.unlink(missing_ok=True)  # a wrong file is not resumed from
            errors.append(f"{origin.location}: {problem}")
        raise FetchError(f"{file.path}: " + "; ".join(errors) + "; nothing kept")

    def _get(self, file: CatalogFile, origin: Origin, part: Path) -> None:
        if origin.local:
            if not Path(origin.location).is_file():
                raise FetchError(f"{origin.location}: not in the mirror directory")
            shutil.copyfile(origin.location, part)
            self.total.update(part.stat().st_size)
            return
        raw = part if origin.compression is None else part.with_name(part.name + ".gz")
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=tenacity.wait_exponential(multiplier=self.backoff_s, max=10 * self.backoff_s),
            retry=tenacity.retry_if_exception_type((httpx.TransportError, _Transient)), reraise=True)
        bar = tqdm(total=file.size, unit="B", unit_scale=True, desc=Path(file.path).name, position=1,
                   leave=False, disable=True if self.total.disable else None)
        try:
            retrying(self._stream, origin.location, raw, bar)
        except httpx.TimeoutException:
            raise FetchError(f"{origin.location}: no data for {self.timeout_s:g} s in {self.attempts} "
                             "attempts (the server stalled)") from None
        except httpx.TransportError as error:
            raise FetchError(f"{origin.location}: {type(error).__name__}: {error} "
                             f"({self.attempts} attempts)") from None
        except _Transient as error:
            raise FetchError(f"{origin.location}: {error} ({self.attempts} attempts)") from None
        finally:
            bar.close()
        if origin.compression == "gzip":
            try:
                with gzip.open(raw) as source, open(part, "wb") as plain:
                    shutil.copyfileobj(source, plain, CHUNK)
            except (OSError, EOFError) as error:
                part.unlink(missing_ok=True)
                raise FetchError(f"{origin.location}: not a whole gzip file ({error})") from None
            finally:
                raw.unlink(missing_ok=True)

    def _stream(self, url: str, part: Path, bar: tqdm) -> None:
        """One attempt: ask for the bytes after what ``part`` already holds (Range), append them."""
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        with self.client.stream("GET", url, headers=headers) as response:
            if response.status_code == 416 and have:
                return  # the part already holds every byte: the check decides
            if response.status_code in (408, 429) or response.status_code >= 500:
                raise _Transient(f"HTTP {response.status_code} {response.reason_phrase}")
            if response.status_code >= 400:
                part.unlink(missing_ok=True)
                raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
            resumed = response.status_code == 206 and response.headers.get(
                "content-range", "").startswith(f"bytes {have}-")
            # a server without Range support sends it all again: the bars go back to 0
            self._move(bar, have if resumed else 0)
            with open(part, "ab" if resumed else "wb") as out:
                for chunk in response.iter_bytes():  # as received: a cut keeps every byte
                    out.write(chunk)
                    self._move(bar, bar.n + len(chunk))

    def _move(self, bar: tqdm, to: int) -> None:
        """Both bars by the same bytes: the file's to ``to``, the total by as much."""
        self.total.update(to - bar.n)
        bar.update(to - bar.n)
