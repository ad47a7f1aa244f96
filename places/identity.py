"""Place identity: which stored records are the same real-world place (docs/places.md).

Every places loader keeps each publisher's record as published (a ``places`` row per source and
source_ref). After every load, ``resolve`` groups the records into places, in one deterministic
pass over all of them: the group's *canonical* record is the place (``merged_into IS NULL``), the
others point to it (``merged_into``). The grouping depends on the records' contents only (never on
ids or load order), so reloading any source in any order gives the same places.

Pairs come from PostGIS (sql/place_candidates.sql: same category, different sources, within
CANDIDATE_METRES); each pair gets a decision (``decide``): names compared with rapidfuzz after
dropping generic words. Records without a location (rows of the lists that give none) are
linked by postcode and name instead (places/statement_links.py), over every stored record. Accepted pairs are joined best first; two records of one list never
share a place (a list names each of its places once), except building footprints (one library can
fill several buildings). Overrides (data/place-overrides.toml, KINDMAP_PLACE_OVERRIDES) force
pairs together or apart on every load.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from places import reviews
from places.names import name_similarity
from places.sql import SQL
from places.statement_links import BASIC_2023, STATEMENT_LISTS, UK_2025, statement_pairs
from store.errors import LoadError

OVERRIDES = Path(os.environ.get("KINDMAP_PLACE_OVERRIDES",
                                Path(__file__).resolve().parent.parent / "data" / "place-overrides.toml"))

CANDIDATE_METRES = 150.0  # the widest distance at which two records may be one place …
SECTOR_METRES = 1000.0    # … unless both postcodes lie in one sector (a library moved, or geocoded apart)
SAME_SPOT_METRES = 30.0   # closer than this, one category: one place unless the names differ
UNNAMED_METRES = 60.0     # a record with no distinctive name joins a place this close
NAME_AGREES = 85          # rapidfuzz token_set_ratio (0–100) of the distinctive words
NAME_DIFFERS = 50         # below this, names say two different places
NAME_REVIEW = 60          # between this and NAME_AGREES, further than SAME_SPOT: listed for review
# Sources whose several records may lie in one place (footprints of one library's buildings).
# A footprint is named after its building ("Caedmon Hall", "The Ebbisham Centre"), not after the
# service inside, so its name says nothing against a listed library on the same spot.
PART_SOURCES = {"os-openmap-local"}
# Which record stands for the place: the dated national list, then other dated lists, then maps,
# then the statement lists without a location (newest first).
CANONICAL_RANK = {"dcms-libraries-2016": 0, "osm": 2, "os-openmap-local": 3, UK_2025: 4, BASIC_2023: 5}
DEFAULT_RANK = 1
REVIEW_LISTED = 20
@dataclass(frozen=True)
class Overrides:
    merge: frozenset[frozenset[str]]
    split: frozenset[frozenset[str]]


def read_overrides(path: Path | None = None) -> Overrides:
    """``[[merge]] refs = ["source:ref", …]`` / ``[[split]] refs = [...]``; refs as 'source:source_ref'."""
    path = path or OVERRIDES
    if not path.is_file():
        return Overrides(frozenset(), frozenset())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise LoadError(f"not a valid overrides file: {error}", file=str(path)) from None
    out = {}
    for kind in ("merge", "split"):
        pairs = set()
        for number, entry in enumerate(data.get(kind, []), 1):
            refs = entry.get("refs") if isinstance(entry, dict) else None
            if not isinstance(refs, list) or len(refs) < 2 or not all(isinstance(r, str) and ":" in r for r in refs):
                raise LoadError(f"[[{kind}]] entry {number}: refs must list two or more 'source:source_ref'",
                                file=str(path))
            pairs |= {frozenset((a, b)) for i, a in enumerate(refs) for b in refs[i + 1:]}
        out[kind] = frozenset(pairs)
    return Overrides(**out)


def decide(distance: float, score: float | None, postcodes: str | None, footprints: int = 0) -> tuple[str, str | None]:
    """('merge' | 'review' | 'apart', the rule that decided) for one candidate pair;
    ``postcodes``: 'same', 'sector' (differ, one postcode sector) or 'differ' when both records
    have one, else None; ``footprints``: how many of the two are building footprints (PART_SOURCES).
    A 'review' pair is joined too, last (its place is counted once until someone decides)."""
    if postcodes == "same":
        return "merge", "postcode"
    if distance > CANDIDATE_METRES:  # only pairs in one postcode sector come this far
        same_name = postcodes == "sector" and score is not None and score >= NAME_AGREES
        return ("merge", "name, same postcode sector") if same_name else ("apart", None)
    if footprints == 2:  # two buildings of one source: parts of one place when adjoining
        adjoining = distance <= SAME_SPOT_METRES and (score is None or score >= NAME_DIFFERS)
        return ("merge", "parts of one building") if adjoining else ("apart", None)
    if footprints == 1 and distance <= SAME_SPOT_METRES:
        return "merge", "building"
    if score is not None and score < NAME_DIFFERS:
        near = distance <= SAME_SPOT_METRES and postcodes is None
        return ("review", "same spot, names differ") if near else ("apart", None)
    if distance <= SAME_SPOT_METRES:
        return "merge", "same spot"
    if score is None:
        return ("merge", "nearest unnamed") if distance <= UNNAMED_METRES else ("apart", None)
    if score >= NAME_AGREES:
        return "merge", "name"
    return ("review", "near, names partly agree") if score >= NAME_REVIEW else ("apart", None)


RULE_ORDER = {"override": 0, "postcode": 1, "statement": 1, "building": 2, "parts of one building": 2,
              "same spot": 2, "name": 3, "nearest unnamed": 4, "name, same postcode sector": 5,
              "same spot, names differ": 6, "near, names partly agree": 6}


def candidate_pairs(conn, overrides: Overrides) -> pd.DataFrame:
    """Located pairs within CANDIDATE_METRES, decided by ``decide``; overrides applied."""
    pairs = pd.DataFrame(conn.execute(SQL.statement("place_candidates"),
                                      {"radius": CANDIDATE_METRES, "far": SECTOR_METRES,
                                       "parts": sorted(PART_SOURCES)}).mappings().all())
    if pairs.empty:
        return pairs
    pairs["score"] = [name_similarity(a, b) for a, b in zip(pairs["name_a"], pairs["name_b"])]
    postcodes = [None if pd.isna(pa) or pd.isna(pb) else "same" if pa == pb else "sector" if sector is True
                 else "differ" for pa, pb, sector in zip(pairs["pc_a"], pairs["pc_b"], pairs["same_sector"])]
    footprints = pairs["source_a"].isin(PART_SOURCES).astype(int) + pairs["source_b"].isin(PART_SOURCES).astype(int)
    decided = [decide(d, None if pd.isna(s) else s, pc, n)
               for d, s, pc, n in zip(pairs["distance"], pairs["score"], postcodes, footprints)]
    pairs["decision"], pairs["rule"] = zip(*decided) if decided else ([], [])
    keys = [frozenset(k) for k in zip(pairs["ref_a"], pairs["ref_b"])]
    forced = [k in overrides.merge for k in keys]
    kept_apart = [k in overrides.split for k in keys]
    pairs.loc[forced, ["decision", "rule"]] = ["merge", "override"]
    pairs.loc[kept_apart, ["decision", "rule"]] = ["apart", "override"]
    return pairs


class Groups:
    """Union-find over record ids that keeps one record per list source in a group."""

    def __init__(self, records: pd.DataFrame, apart: set[frozenset[str]]):
        self.parent = {i: i for i in records["id"]}
        self.sources = {i: {s} for i, s in zip(records["id"], records["source"])}
        self.refs = {i: {r} for i, r in zip(records["id"], records["ref"])}
        self.apart = apart

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def join(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        if (self.sources[ra] & self.sources[rb]) - PART_SOURCES:
            return False
        if any(frozenset((x, y)) in self.apart for x in self.refs[ra] for y in self.refs[rb]):
            return False
        self.parent[rb] = ra
        self.sources[ra] |= self.sources.pop(rb)
        self.refs[ra] |= self.refs.pop(rb)
        return True


def merged_into(records: pd.DataFrame, pairs: pd.DataFrame, overrides: Overrides) -> pd.Series:
    """Per record id, the id of its group's canonical record (itself when it stands alone)."""
    groups = Groups(records, set(overrides.split))
    if not pairs.empty:
        merges = pairs[pairs["decision"].isin(("merge", "review"))].assign(
            order=lambda p: p["rule"].map(RULE_ORDER), score0=lambda p: p["score"].fillna(0))
        merges = merges.sort_values(["order", "score0", "same_status", "distance", "ref_a", "ref_b"],
                                    ascending=[True, False, False, True, True, True])
        for a, b in zip(merges["id_a"], merges["id_b"]):
            groups.join(a, b)
    ranked = records.assign(group=[groups.find(i) for i in records["id"]],
                            rank=records["source"].map(CANONICAL_RANK).fillna(DEFAULT_RANK))
    canonical = ranked.sort_values(["rank", "source", "source_ref"]).groupby("group")["id"].first()
    return ranked.set_index("id")["group"].map(canonical)


def resolve(ctx) -> dict[str, int]:
    """Group every stored record into places (``merged_into``); report this load's source.
    Edit records amending a place are not grouped: they stay with it (places/reloads.py)."""
    from_file = read_overrides()
    accepted, rejected = reviews.decisions(ctx.conn)  # decisions made through the API win like overrides
    overrides = Overrides(from_file.merge | accepted, from_file.split | rejected)
    records = pd.DataFrame(ctx.conn.exec_driver_sql(
        "SELECT id, source, source_ref, source || ':' || source_ref AS ref FROM places "
        "WHERE id NOT IN (SELECT record_id FROM place_edits)").mappings().all(),
        columns=["id", "source", "source_ref", "ref"])
    pairs = candidate_pairs(ctx.conn, overrides)
    links = statement_pairs(ctx.conn)  # rows of the lists without coordinates (statement_links.py)
    joined = [p for p in (pairs, links) if not p.empty]
    canonical = merged_into(records, pd.concat(joined, ignore_index=True) if joined else pairs, overrides)
    ids = [int(i) for i in canonical.index]
    into = [None if int(c) == i else int(c) for i, c in zip(ids, canonical)]  # NULL: the place itself
    changed = ctx.execute("""
        UPDATE places p SET merged_into = s.merged_into
        FROM unnest(CAST(:ids AS bigint[]), CAST(:into AS bigint[])) AS s(id, merged_into)
        WHERE p.id = s.id AND p.merged_into IS DISTINCT FROM s.merged_into""", ids=ids, into=into)
    ctx.report.changed += changed
    reviews.sync(ctx.conn, pairs[pairs["decision"] == "review"] if not pairs.empty else pairs)
    _report(ctx, records, canonical, pairs, links)
    return {"changed": changed}


def _report(ctx, records: pd.DataFrame, canonical: pd.Series, pairs: pd.DataFrame, links: pd.DataFrame) -> None:
    source = ctx.report.source
    mine = records[records["source"] == source].set_index("id")
    if mine.empty:
        return
    # a place "with other sources' records": its group holds a record of another source (a group
    # of this source's records only, e.g. the footprints of one building, is a place of its own)
    others = records.assign(place=canonical.loc[records["id"]].to_numpy())
    others = set(others.loc[others["source"] != source, "place"])
    review = pairs[(pairs["decision"] == "review") & ((pairs["source_a"] == source) | (pairs["source_b"] == source))] \
        if not pairs.empty else pairs
    in_group = canonical.loc[mine.index].isin(others)
    ctx.report.reconciliation.update({
        "records in places with other sources' records (merged)": int(in_group.sum()),
        "records that are a place of their own (new)": int((~in_group).sum()),
        "uncertain matches waiting for review": len(review),
    })
    if source in STATEMENT_LISTS:  # how its rows were linked (places/statement_links.py)
        mine_linked = links[links["source_b"] == source] if len(links) else links
        for method, count in (mine_linked["method"].value_counts().items() if len(mine_linked) else []):
            ctx.report.reconciliation[f"rows linked by {method}"] = int(count)
    if len(review):
        listed = "; ".join(f"{r.ref_a} {r.name_a!r} ~ {r.ref_b} {r.name_b!r} ({r.distance:.0f} m, "
                           f"names {'-' if pd.isna(r.score) else round(r.score)}: {r.rule})"
                           for r in review.sort_values(["ref_a", "ref_b"]).head(REVIEW_LISTED).itertuples())
        ctx.note(f"{len(review)} uncertain matches joined meanwhile (one place each), for review: "
                 "GET /collections/places/reviews, then accept or reject (or force them in "
                 f"{OVERRIDES.name} with [[merge]] or [[split]]). First {min(len(review), REVIEW_LISTED)}: {listed}")
