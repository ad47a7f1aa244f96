"""Reading a whole country's ``.osm.pbf`` in bounded memory: the third places and only what they need.

``extract(src, dst, wanted)`` writes a small, complete PBF of the objects ``wanted(tags)`` keeps
(nodes, ways, relations, with their versions and timestamps) plus the ways and nodes their
geometries need, which GDAL's OSM driver then reads (loaders/osm.py). Measured on a GENERATED
file (bench/osm.py, docs/benchmarks.md), this is why it is built so:

* GDAL's OSM driver on the whole file reads it once per layer (three times) and builds every
  way: ~0.2× the throughput of ``osmium tags-filter``.
* ``osmium tags-filter``, pyosmium's ``BackReferenceWriter`` and ``IdFilter`` keep the ids they
  look for in libosmium's dense id sets, one 512 kB chunk per 4 M ids touched: a few thousand
  node ids spread over England's id range (1.3e10) cost ~1.6 GB whatever the file's size.

So: pass 1 (pyosmium, tags filtered in C++ by key; the progress bar follows the bytes libosmium
reads): the wanted objects. Pass 2, only when wanted relations have member
ways: those ways (pyosmium ``IdFilter``; way ids span 1.4e9, at most ~170 MB). Pass 3: the
nodes the ways need, found by decoding the file's DenseNodes blocks with numpy (ids, lat, lon:
packed, zig-zag, delta-coded varints; https://wiki.openstreetmap.org/wiki/PBF_Format) against a
sorted array of the wanted ids — 8 bytes per wanted node, not per node of the file.
"""
from __future__ import annotations

import os
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium

from store.errors import LoadError

DECODE_THREADS = min(4, os.cpu_count() or 1)
DECODE_BATCH = 64  # blocks read ahead for the decoding threads (a block is ≤ 32 MB, typically 100 kB)


# -- the file's blocks ---------------------------------------------------------------------------
def _varint(data, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError("bad varint")
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, i
        shift += 7


def fields(data) -> Iterator[tuple[int, int | memoryview]]:
    """(field number, value) of a protobuf message: varints as int, length-delimited as memoryview."""
    data = memoryview(data)
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 2:
            n, i = _varint(data, i)
            if i + n > len(data):
                raise ValueError("field runs past the message")
            value, i = data[i:i + n], i + n
        elif wire == 5:
            value, i = bytes(data[i:i + 4]), i + 4
        elif wire == 1:
            value, i = bytes(data[i:i + 8]), i + 8
        else:
            raise ValueError(f"wire type {wire}")
        yield number, value


@dataclass
class Block:
    kind: str      # OSMHeader | OSMData
    offset: int    # where its fileblock starts in the file
    end: int       # where it ends
    framed: bytes = field(repr=False)  # the whole fileblock (length, header, blob), as read


def blocks(path: Path) -> Iterator[Block]:
    """Every fileblock of a PBF in order; a cut or foreign file is a located LoadError (GDAL's OSM
    driver stops silently at a truncated block, which would load half an extract as whole)."""
    size = path.stat().st_size
    count = 0
    with path.open("rb") as handle:
        while handle.tell() < size:
            offset = handle.tell()
            where = f"byte {offset}"
            head = handle.read(4)
            length = int.from_bytes(head, "big") if len(head) == 4 else -1
            header = handle.read(length) if 0 < length <= 64 * 1024 else b""
            kind = datasize = None
            if len(header) == length:
                try:
                    for number, value in fields(header):
                        if number == 1:
                            kind = bytes(value).decode("ascii")
                        elif number == 3:
                            datasize = value
                except (ValueError, UnicodeDecodeError):
                    kind = None
            if kind is None or datasize is None or (count == 0 and kind != "OSMHeader"):
                raise LoadError("not an OSM PBF file (no OSMHeader block)" if count == 0 else
                                "not a complete OSM PBF file (bad block header)", file=str(path), location=where)
            if handle.tell() + datasize > size:
                raise LoadError(f"OSM PBF file is truncated: block {count + 1} needs {datasize} bytes, "
                                f"{size - handle.tell()} remain", file=str(path), location=where)
            blob = handle.read(datasize)
            count += 1
            yield Block(kind, offset, handle.tell(), head + header + blob)


def check_framing(path: Path) -> int:
    """Walk the whole file's block framing first (a truncated file fails before anything is read)."""
    return sum(1 for _ in blocks(path))


def _blob_data(block: Block) -> bytes:
    length = int.from_bytes(block.framed[:4], "big")
    raw = zipped = None
    for number, value in fields(memoryview(block.framed)[4 + length:]):
        if number == 1:
            raw = bytes(value)
        elif number == 3:
            zipped = value
    if raw is not None:
        return raw
    if zipped is None:
        raise LoadError("PBF block compressed otherwise than zlib (not supported)", location=f"byte {block.offset}")
    return zlib.decompress(zipped)


@dataclass(frozen=True)
class Header:
    box: tuple[float, float, float, float] | None  # west, south, east, north (WGS84), as the file states
    timestamp: str | None                           # the extract's date (osmosis_replication_timestamp)

    @property
    def year(self) -> int | None:
        return int(self.timestamp[:4]) if self.timestamp else None


def header(path: Path) -> Header:
    """What the file's OSMHeader block says of its extent and date (pyosmium)."""
    found = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING).header()
    box = found.box()
    stamp = found.get("osmosis_replication_timestamp") or found.get("timestamp") or None
    return Header((box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)
                  if box.valid() else None, stamp)


# -- pass 3: the nodes the ways need -------------------------------------------------------------
def packed_sint64(data) -> np.ndarray:
    """A packed repeated sint64 field (zig-zag varints), decoded with numpy."""
    b = np.frombuffer(data, dtype=np.uint8)
    if not len(b):
        return np.zeros(0, dtype=np.int64)
    ends = np.flatnonzero(b < 0x80)
    starts = np.concatenate(([0], ends[:-1] + 1))
    position = np.arange(len(b)) - np.repeat(starts, ends - starts + 1)
    values = np.add.reduceat((b & 0x7F).astype(np.uint64) << (7 * position).astype(np.uint64), starts)
    return (values >> np.uint64(1)).astype(np.int64) ^ -(values & np.uint64(1)).astype(np.int64)


def dense_nodes(data: bytes) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(ids, lon, lat) of every DenseNodes group of a PrimitiveBlock."""
    granularity, lat_offset, lon_offset, groups = 100, 0, 0, []
    for number, value in fields(data):
        if number == 2:
            groups.append(value)
        elif number == 17:
            granularity = value
        elif number == 19:
            lat_offset = value if value < 1 << 63 else value - (1 << 64)
        elif number == 20:
            lon_offset = value if value < 1 << 63 else value - (1 << 64)
    for group in groups:
        for number, value in fields(group):
            if number == 1:
                raise LoadError("PBF with non-dense nodes (not supported; `osmium cat` rewrites it dense)")
            if number != 2:
                continue
            parts = {n: v for n, v in fields(value) if n in (1, 8, 9)}
            ids, lat, lon = (np.cumsum(packed_sint64(parts.get(n, b""))) for n in (1, 8, 9))
            yield ids, (lon_offset + granularity * lon) * 1e-9, (lat_offset + granularity * lat) * 1e-9


def _wanted_nodes(block: Block, wanted: np.ndarray) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    if block.kind != "OSMData":
        return []
    hits = []
    for ids, lon, lat in dense_nodes(_blob_data(block)):
        if not len(ids) or ids[0] > wanted[-1] or ids[-1] < wanted[0]:
            continue
        hit = np.isin(ids, wanted, assume_unique=True)
        if hit.any():
            hits.append((ids[hit], lon[hit], lat[hit]))
    return hits


def node_locations(path: Path, wanted: np.ndarray,
                   progress: Callable[[int], None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, lon, lat) of the ``wanted`` ids (sorted, unique) found in the file. Blocks are
    decoded DECODE_THREADS at a time (zlib and numpy release the GIL), DECODE_BATCH read ahead."""
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    batch: list[Block] = []
    with ThreadPoolExecutor(DECODE_THREADS) as pool:
        def drain():
            for hits in pool.map(lambda b: _wanted_nodes(b, wanted), batch):
                found.extend(hits)
            progress(batch[-1].end)
            batch.clear()
        for block in blocks(path):
            if len(wanted):
                batch.append(block)
            if len(batch) >= DECODE_BATCH:
                drain()
        if batch:
            drain()
    if not found:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    return tuple(np.concatenate(parts) for parts in zip(*found))


# -- pass 1: the wanted objects ------------------------------------------------------------------
def _bytes_read() -> int | None:
    """This process's bytes read so far (Linux /proc), for the progress of a pass libosmium runs."""
    try:
        with open("/proc/self/io") as io:
            return next(int(line.split()[1]) for line in io if line.startswith("rchar:"))
    except (OSError, StopIteration, ValueError):
        return None


class _ReadProgress:
    """While libosmium reads the file in its own threads, report the bytes it has read."""

    def __init__(self, report: Callable[[int], None], limit: int):
        self.report, self.limit, self.start = report, limit, _bytes_read()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while self.start is not None and not self.stop.wait(0.5):
            self.report(min(self.limit, (_bytes_read() or 0) - self.start))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join()


@dataclass
class Wanted:
    nodes: dict[int, object] = field(default_factory=dict)
    ways: dict[int, object] = field(default_factory=dict)
    relations: dict[int, object] = field(default_factory=dict)


def _copy(obj):
    """A mutable copy that outlives pyosmium's buffer (tags, refs and members as plain values)."""
    if obj.is_node():
        return obj.replace(tags=dict(obj.tags), location=(obj.location.lon, obj.location.lat))
    if obj.is_way():
        return obj.replace(tags=dict(obj.tags), nodes=[n.ref for n in obj.nodes])
    return obj.replace(tags=dict(obj.tags), members=[(m.type, m.ref, m.role) for m in obj.members])


def extract(src: Path, dst: Path, keys: list[str], wanted: Callable[[dict], bool],
            progress: Callable[[int, int], None]) -> dict[str, int]:
    """Write to ``dst`` the objects of ``src`` with any of ``keys`` that ``wanted(tags)`` keeps,
    and what their geometry needs; ``progress(bytes done, objects kept)`` after each step. Three
    passes over the file (bytes counted thrice: the bar's total is 3 × the file's size)."""
    size = src.stat().st_size
    found = Wanted()
    tables = {"n": found.nodes, "w": found.ways, "r": found.relations}
    with _ReadProgress(lambda done: progress(done, sum(map(len, tables.values()))), size):
        for obj in osmium.FileProcessor(str(src)).with_filter(osmium.filter.KeyFilter(*keys)):
            if wanted(dict(obj.tags)):
                tables[obj.type_str()][obj.id] = _copy(obj)
    progress(size, sum(map(len, tables.values())))
    kept = len(found.nodes) + len(found.ways) + len(found.relations)
    member_ways = {ref for r in found.relations.values() for kind, ref, _ in r.members if kind == "w"} - set(found.ways)
    ways = dict(found.ways)
    if member_ways:
        for way in osmium.FileProcessor(str(src), osmium.osm.WAY).with_filter(osmium.filter.IdFilter(member_ways)):
            ways[way.id] = _copy(way)
    progress(2 * size, kept)
    refs = [np.fromiter((ref for w in ways.values() for ref in w.nodes), dtype=np.int64),
            np.fromiter((ref for r in found.relations.values() for kind, ref, _ in r.members if kind == "n"),
                        dtype=np.int64)]
    needed = np.setdiff1d(np.concatenate(refs), np.fromiter(found.nodes, dtype=np.int64, count=len(found.nodes)))
    ids, lons, lats = node_locations(src, needed, lambda done: progress(2 * size + done, kept))
    del refs, needed
    dst.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(dst)) as writer:
        # the tagged nodes and the ways' plain nodes, merged in id order (a PBF is sorted)
        order = np.argsort(ids, kind="stable")
        tagged = sorted(found.nodes)
        t = 0
        for i in order.tolist():
            node_id = int(ids[i])
            while t < len(tagged) and tagged[t] < node_id:
                writer.add_node(found.nodes[tagged[t]])
                t += 1
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=(float(lons[i]), float(lats[i]))))
        for node_id in tagged[t:]:
            writer.add_node(found.nodes[node_id])
        for i in sorted(ways):
            writer.add_way(ways[i])
        for i in sorted(found.relations):
            writer.add_relation(found.relations[i])
    return {"nodes": len(found.nodes), "ways": len(found.ways), "relations": len(found.relations),
            "member ways": len(member_ways), "way nodes found": len(ids)}
