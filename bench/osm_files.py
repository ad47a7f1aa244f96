"""GENERATED OpenStreetMap files derived from a real extract (pyosmium), for benchmarks and tests.

Nothing here is real OSM data: every file written is a transformation of a real extract (the
Rutland one in ../shared/data/osm) and is named ``*GENERATED*`` by its callers.

* ``scaled(src, dst, copies)``: ``copies`` translated copies of every object, one copy after the
  other (so each compresses as the source does), ids renumbered in order and spread over the id
  ranges of the real England extract (``ID_RANGE``), each copy shifted on a grid of
  Rutland-sized tiles over England. The
  objects' tags, versions and timestamps are the source's; the file grows linearly in nodes, ways
  and relations, which is what the benchmark's slope needs (bench/osm.py).
* ``newer(src, dst, drop=…, retag=…)``: the same extract a little later — some objects removed,
  some objects' tags changed (version + 1, a later timestamp), the header's timestamp moved on:
  what a re-load of a newer extract must close and update (tests/test_osm_reload.py).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import osmium

GRID_COLUMNS = 10
TILE = (0.45, 0.30)  # degrees (lon, lat): a Rutland-sized tile, so copies do not overlap
ORIGIN = (-2.4, -1.4)  # offset of copy 0 from the source: the grid starts in the West Midlands
# Ids are spread over the ranges England's extract spans (largest node id ~1.3e10, way ~1.4e9,
# relation ~1.9e7 in 2025), whatever the number of copies, so that structures indexed by id
# (node location indexes, id sets) cost what they would cost on England, not on a dense 1..n.
ID_RANGE = {"n": 13_000_000_000, "w": 1_400_000_000, "r": 19_000_000}


def _offset(copy: int) -> tuple[float, float]:
    return (ORIGIN[0] + (copy % GRID_COLUMNS) * TILE[0], ORIGIN[1] + (copy // GRID_COLUMNS) * TILE[1])


def _header(src: Path, timestamp: str | None = None, bbox: tuple[float, float, float, float] | None = None):
    header = osmium.io.Reader(str(src), osmium.osm.osm_entity_bits.NOTHING).header()
    out = osmium.io.Header()
    out.set("generator", "kindmap bench/osm_files.py (GENERATED from " + src.name + ")")
    stamp = timestamp or header.get("osmosis_replication_timestamp") or header.get("timestamp")
    if stamp:
        out.set("osmosis_replication_timestamp", stamp)
        out.set("timestamp", stamp)
    box = bbox or (header.box().bottom_left.lon, header.box().bottom_left.lat,
                   header.box().top_right.lon, header.box().top_right.lat)
    out.add_box(osmium.osm.Box(*box))
    return out


def scaled(src: Path, dst: Path, copies: int) -> Path:
    """``copies`` translated, renumbered copies of every object of ``src`` (GENERATED)."""
    rank: dict[str, dict[int, int]] = {"n": {}, "w": {}, "r": {}}
    for obj in osmium.FileProcessor(str(src)):
        table = rank[obj.type_str()]
        table[obj.id] = len(table)
    gap = {kind: max(1, ID_RANGE[kind] // (copies * max(1, len(rank[kind])))) for kind in rank}

    def new_id(kind: str, ref: int, copy: int) -> int | None:
        r = rank[kind].get(ref)
        return None if r is None else 1 + (copy * len(rank[kind]) + r) * gap[kind]

    base = osmium.io.Reader(str(src), osmium.osm.osm_entity_bits.NOTHING).header().box()
    west, south = base.bottom_left.lon + ORIGIN[0], base.bottom_left.lat + ORIGIN[1]
    east = base.top_right.lon + ORIGIN[0] + (min(copies, GRID_COLUMNS) - 1) * TILE[0]
    north = base.top_right.lat + _offset(copies - 1)[1]
    dst.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(dst), header=_header(src, bbox=(west, south, east, north))) as writer:
        for kind, entity in (("n", osmium.osm.NODE), ("w", osmium.osm.WAY), ("r", osmium.osm.RELATION)):
            for copy in range(copies):
                dx, dy = _offset(copy)
                for obj in osmium.FileProcessor(str(src), entity):
                    if kind == "n":
                        loc = obj.location
                        where = (loc.lon + dx, loc.lat + dy) if loc.valid() else loc
                        writer.add_node(obj.replace(id=new_id("n", obj.id, copy), location=where))
                    elif kind == "w":
                        writer.add_way(obj.replace(id=new_id("w", obj.id, copy),
                                                   nodes=[new_id("n", n.ref, copy) or 0 for n in obj.nodes]))
                    else:
                        members = [(m.type, new_id(m.type, m.ref, copy), m.role) for m in obj.members]
                        writer.add_relation(obj.replace(id=new_id("r", obj.id, copy),
                                                        members=[m for m in members if m[1] is not None]))
    return dst


def newer(src: Path, dst: Path, drop: set[str] = frozenset(), retag: dict[str, Callable[[dict], dict]] | None = None,
          days: int = 30) -> Path:
    """``src`` ``days`` later (GENERATED): objects ``drop`` (refs 'node/1', 'way/2') removed,
    ``retag[ref](tags) -> tags`` applied with version + 1 and a later timestamp."""
    retag = retag or {}
    stamp = osmium.io.Reader(str(src), osmium.osm.osm_entity_bits.NOTHING).header().get(
        "osmosis_replication_timestamp")
    later = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) + dt.timedelta(days=days)
    names = {"n": "node", "w": "way", "r": "relation"}
    dst.unlink(missing_ok=True)
    with osmium.SimpleWriter(str(dst), header=_header(src, later.strftime("%Y-%m-%dT%H:%M:%SZ"))) as writer:
        for obj in osmium.FileProcessor(str(src)):
            kind = obj.type_str()
            ref = f"{names[kind]}/{obj.id}"
            if ref in drop:
                continue
            if ref in retag:
                obj = obj.replace(tags=retag[ref](dict(obj.tags)), version=obj.version + 1, timestamp=later)
            {"n": writer.add_node, "w": writer.add_way, "r": writer.add_relation}[kind](obj)
    return dst


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Write a GENERATED scaled copy of an OSM extract")
    parser.add_argument("src", type=Path)
    parser.add_argument("dst", type=Path)
    parser.add_argument("--copies", type=int, default=60)
    args = parser.parse_args()
    print(scaled(args.src, args.dst, args.copies))
