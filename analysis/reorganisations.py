"""Authorities whose boundaries changed between 2013 and 2023, and the comparable units that
hold them (Structural Changes Orders; the mySociety register's end-date / replaced-by columns
agree, tests/test_spending.py checks)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Reorganisation:
    took_effect: str  # 1 April of this year
    predecessors: tuple[str, ...]  # abolished upper-tier codes whose spending is stored
    successors: tuple[str, ...]  # 2023 UTLAs now covering their area
    note: str

    @property
    def unit(self) -> str:
        return "+".join(sorted(self.successors))


REORGANISATIONS = (
    Reorganisation("2019-04-01", ("E06000028", "E06000029", "E10000009"), ("E06000058", "E06000059"),
                   "Bournemouth and Poole UAs and Dorset County Council (with its districts) became "
                   "Bournemouth, Christchurch and Poole and Dorset in April 2019; Christchurch moved "
                   "from the county to BCP, so neither successor matches a predecessor: the two are "
                   "compared as one unit"),
    Reorganisation("2020-04-01", ("E10000002",), ("E06000060",),
                   "Buckinghamshire County Council and its four districts became the Buckinghamshire "
                   "unitary authority in April 2020 (same area)"),
    Reorganisation("2021-04-01", ("E10000021",), ("E06000061", "E06000062"),
                   "Northamptonshire County Council was split into North and West Northamptonshire "
                   "in April 2021: the two are compared as one unit"),
    Reorganisation("2023-04-01", ("E10000006",), ("E06000063", "E06000064"),
                   "Cumbria County Council was split into Cumberland and Westmorland and Furness in "
                   "April 2023: the two are compared as one unit"),
    Reorganisation("2023-04-01", ("E10000023",), ("E06000065",),
                   "North Yorkshire County Council and its seven districts became the North "
                   "Yorkshire unitary authority in April 2023 (same area; York stays apart)"),
    Reorganisation("2023-04-01", ("E10000027",), ("E06000066",),
                   "Somerset County Council and its four districts became the Somerset unitary "
                   "authority in April 2023 (same area)"),
)


def unit_members() -> tuple[list[str], list[str]]:
    """(2023 UTLA code, its unit key) for every UTLA in a multi-authority or renamed unit."""
    pairs = [(code, r.unit) for r in REORGANISATIONS for code in r.successors]
    return [c for c, _ in pairs], [u for _, u in pairs]


def predecessor_units() -> tuple[list[str], list[str]]:
    pairs = [(code, r.unit) for r in REORGANISATIONS for code in r.predecessors]
    return [c for c, _ in pairs], [u for _, u in pairs]


def reorganisation_of(unit: str) -> Reorganisation | None:
    return next((r for r in REORGANISATIONS if r.unit == unit), None)
