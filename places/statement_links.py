"""Which located library each row of a statement list is (docs/places.md, "Statement lists").

The 2023 basic dataset and the 2025 UK list give no coordinates: each of their rows is stored as a
record without a location. On every places load (places/identity.py, ``resolve``) this module
links those records, over everything stored, to the located 2016 Taskforce records — by postcode,
then postcode district and a close name, one to one — and a UK row left over to a basic row whose
place has no UK row yet. The links are merge pairs for the identity engine, so a row names the
same place in any load order, and a row nobody locates is a place of its own (no location, with
its country). Names are scored with rapidfuzz, as in the identity engine.
"""
from __future__ import annotations

import pandas as pd
from rapidfuzz import fuzz

from places.names import name_words
from places.sql import SQL


BASIC_2023 = "dcms-libraries-basic-2023"
UK_2025 = "librarieshacked-libraries-uk-2025"
# Statement lists, each linked to the located lists in LINKED_TO, then the leftovers to each other.
STATEMENT_LISTS = (BASIC_2023, UK_2025)
LINKED_TO = ("dcms-libraries-2016",)
NAME_SCORE_SAME_POSTCODE = 0.5   # same postcode: names need only broadly agree …
NAME_SCORE_SAME_DISTRICT = 0.85  # … same postcode district (e.g. EX16): names must agree closely
PAIR_COLUMNS = ["id_a", "id_b", "ref_a", "ref_b", "source_a", "source_b", "name_a", "name_b",
                "same_status", "distance", "score", "decision", "rule", "method"]


def name_score(a: str | None, b: str | None) -> float:
    """0–1: 1.0 for the same distinctive words; ≥ 0.9 when one name's words are all in the
    other's ('Bingley' / 'Bingley Library'); otherwise rapidfuzz's normalised similarity."""
    a, b = name_words(a), name_words(b)
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    ratio = fuzz.ratio(a, b) / 100
    words_a, words_b = set(a.split()), set(b.split())
    return max(ratio, 0.9) if words_a <= words_b or words_b <= words_a else ratio


def full_name_score(a: str | None, b: str | None) -> float:
    """Between equal ``name_score``s, the closer full name wins ('Chatteris Library' over
    'Chatteris Community Hub', both 'chatteris' once generic words are dropped)."""
    return fuzz.ratio(" ".join(str(a or "").lower().split()), " ".join(str(b or "").lower().split())) / 100


def match(candidates: pd.DataFrame) -> list[dict]:
    """One-to-one matches of statement rows (``row``) to places (``place_id``).

    Tier 1 (same postcode): accepted when the names score ≥ 0.5, or when the postcode holds just
    this one library on each side (renamed libraries: 'Cherry Tree Library' / 'Livesey').
    Tier 2 (same district, rows and places left over): names must score ≥ 0.85.
    Ties go to the closer full name, then to the pair whose 2016 statuses agree (``status16`` of
    the row, ``p16`` of the place), then to the row that existed in 2016, then the lower refs.
    """
    if candidates.empty:
        return []
    candidates = candidates.copy()
    candidates["score"] = [name_score(a, b) for a, b in zip(candidates["name_b"], candidates["name_p"])]
    candidates["raw"] = [full_name_score(a, b) for a, b in zip(candidates["name_b"], candidates["name_p"])]
    same = candidates[candidates["same_pc"]]
    per_row = same.groupby("row").size()
    per_place = same.groupby("place_id").size()
    candidates["unique"] = (candidates["same_pc"] & candidates["row"].map(per_row).eq(1)
                            & candidates["place_id"].map(per_place).eq(1))
    candidates["agree16"] = candidates["p16"].notna() & (candidates["p16"] == candidates["status16"])
    order = ["score", "raw", "agree16", "existed16", "row_ref", "place_ref"]
    ascending = [False, False, False, False, True, True]
    tiers = [
        ("postcode", candidates[candidates["same_pc"] & ((candidates["score"] >= NAME_SCORE_SAME_POSTCODE)
                                                         | candidates["unique"])]),
        ("postcode district", candidates[~candidates["same_pc"]
                                         & (candidates["score"] >= NAME_SCORE_SAME_DISTRICT)]),
    ]
    used_rows, used_places, matches = set(), set(), []
    for method, pairs in tiers:
        for pair in pairs.sort_values(order, ascending=ascending).itertuples():
            if pair.row in used_rows or pair.place_id in used_places:
                continue
            used_rows.add(pair.row)
            used_places.add(pair.place_id)
            matches.append({"row": pair.row, "place_id": pair.place_id, "method": method,
                            "score": float(pair.score)})
    return matches


def _pairs(rows: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Candidate (row, place) pairs sharing a postcode district, matched one to one."""
    rows, places = rows[rows["pc"].notna()], places[places["pc"].notna()]
    candidates = rows.merge(places, on="district", suffixes=("_b", "_p"))
    if candidates.empty:
        return pd.DataFrame(columns=["row", "place_id", "method", "score"])
    candidates = pd.DataFrame({
        "row": candidates["id_b"], "place_id": candidates["id_p"], "row_ref": candidates["ref_b"],
        "place_ref": candidates["ref_p"], "name_b": candidates["name_b"], "name_p": candidates["name_p"],
        "same_pc": candidates["pc_b"] == candidates["pc_p"], "status16": candidates["status16_b"],
        "p16": candidates["status16_p"], "existed16": candidates["existed16_b"].fillna(False)})
    return pd.DataFrame(match(candidates), columns=["row", "place_id", "method", "score"])


def statement_pairs(conn) -> pd.DataFrame:
    """Merge pairs (the identity engine's layout, rule 'statement') for every stored statement
    record that is linked: to a located record first; a UK row left over, to a basic row whose
    place has no UK row."""
    records = pd.DataFrame.from_records(conn.exec_driver_sql(
        SQL.text("statement_records"),
        {"lists": list(STATEMENT_LISTS), "linked_to": list(LINKED_TO), "uk": UK_2025}).all(),
        columns=["id", "source", "ref", "name", "status", "pc", "district", "status16", "existed16"])
    if records.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    located = records[records["source"].isin(LINKED_TO)]
    basic, uk = (records[records["source"] == key] for key in (BASIC_2023, UK_2025))
    to_basic, to_uk = _pairs(basic, located), _pairs(uk, located)
    # A UK row no located record matches may still be a basic-dataset row (the UK list's English
    # part continues the basic dataset): one whose place has no UK row yet.
    claimed = set(to_basic.loc[to_basic["place_id"].isin(set(to_uk["place_id"])), "row"])
    found = [to_basic, to_uk, _pairs(uk[~uk["id"].isin(set(to_uk["row"]))],
                                     basic[~basic["id"].isin(claimed)])]
    pairs = pd.concat([f for f in found if not f.empty] or [pd.DataFrame(columns=["row", "place_id"])])
    if pairs.empty:
        return pd.DataFrame(columns=PAIR_COLUMNS)
    by_id = records.set_index("id")
    a, b = by_id.loc[pairs["place_id"]], by_id.loc[pairs["row"]]
    return pd.DataFrame({
        "id_a": pairs["place_id"].to_numpy(), "id_b": pairs["row"].to_numpy(),
        "ref_a": a["ref"].to_numpy(), "ref_b": b["ref"].to_numpy(),
        "source_a": a["source"].to_numpy(), "source_b": b["source"].to_numpy(),
        "name_a": a["name"].to_numpy(), "name_b": b["name"].to_numpy(),
        "same_status": (a["status"].to_numpy() == b["status"].to_numpy()),
        "distance": float("nan"), "score": pairs["score"].to_numpy() * 100,
        "decision": "merge", "rule": "statement", "method": pairs["method"].to_numpy()})
