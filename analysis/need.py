"""The need part of the gap index, as the user chooses it: IMD 2019 (the default), any loaded
indicator with its direction, or several with weights (``need=`` of /priorities).

Grammar (comma-separated terms, each with an optional ``*weight``, default 1):

    imd                          the IMD 2019 rank of the small area (1 = most deprived)
    indicator:NAME[:high|:low]   the newest period of indicator NAME; ``high`` (default): a high
                                 value means more need (income deprivation score), ``low``: a low
                                 value does (an average rank, library visits per head)

An indicator term is normalised to 0 … 1 by its percent rank among every area holding it (1 =
the most need), so it means the same whatever the selection; a small area takes the value of its
own code, else of its 2023 district, else of its upper-tier authority (whichever level the
indicator is keyed at). The need part is the weighted mean of the terms that have a value.
docs/analysis/gap-index.md.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

IMD = "imd"
TERM = re.compile(r"(?:(imd)|indicator:([A-Za-z0-9_]{1,64})(?::(high|low))?)(?:\*([0-9]+(?:\.[0-9]*)?))?")
MAX_TERMS = 8
# TERM's grammar, weights 0 … 10, at most MAX_TERMS: what parse takes, as the document says it
# (not that each indicator comes once nor that some weight is above 0). Blank: the default.
_WEIGHT = r"(0*10(\.0*)?|0*[0-9](\.[0-9]*)?)"
_TERM = rf" *(imd|indicator:[A-Za-z0-9_]{{1,64}}(:(high|low))?)(\*{_WEIGHT})? *"
PATTERN = rf"^ *$|^{_TERM}(,{_TERM}){{0,{MAX_TERMS - 1}}}$"


class NeedError(ValueError):
    """A need= the data cannot answer: 400 naming ``need`` (an indicator not loaded too: issue 19)."""

    parameter = "need"

    def __init__(self, detail: str, status: int = 400):
        super().__init__(detail)
        self.status = status


@dataclass(frozen=True)
class NeedTerm:
    indicator: str  # IMD, or an indicator name
    high_is_need: bool = True
    weight: float = 1.0

    def describe(self) -> str:
        if self.indicator == IMD:
            return "IMD 2019 rank"
        return f"{self.indicator} ({'high' if self.high_is_need else 'low'} = need)"


DEFAULT = (NeedTerm(IMD),)


def parse(raw: str | None) -> tuple[NeedTerm, ...]:
    """``need=`` → its terms; NeedError naming the first term that does not parse."""
    if raw is None or not raw.strip():
        return DEFAULT
    terms = []
    for part in raw.split(","):
        match = TERM.fullmatch(part.strip())
        if not match:
            raise NeedError(f"need: {part.strip()!r} is not imd or indicator:NAME[:high|:low][*weight]")
        imd, name, direction, weight = match.groups()
        terms.append(NeedTerm(IMD if imd else name, direction != "low",
                              float(weight) if weight is not None else 1.0))
    if len(terms) > MAX_TERMS or len({t.indicator for t in terms}) != len(terms):
        raise NeedError(f"need: at most {MAX_TERMS} terms, each indicator once")
    if not any(t.weight for t in terms) or any(t.weight > 10 for t in terms):
        raise NeedError("need: term weights are 0 … 10, and not all 0")
    return tuple(terms)


def check_loaded(conn: Connection, terms: tuple[NeedTerm, ...]) -> None:
    """NeedError when a named indicator is not loaded at all."""
    names = [t.indicator for t in terms if t.indicator != IMD]
    if not names:
        return
    loaded = set(conn.execute(text("SELECT DISTINCT indicator FROM indicators WHERE indicator = ANY(:n) "
                                   "AND value IS NOT NULL"), {"n": names}).scalars())
    missing = [n for n in names if n not in loaded]
    if missing:
        raise NeedError(f"need: indicator {', '.join(missing)} is not loaded (kindmap load indicators-csv …)")


def bind(terms: tuple[NeedTerm, ...]) -> dict:
    """What need_ctes.sql binds."""
    return {"need_names": [t.indicator for t in terms],
            "need_signs": [1 if t.high_is_need else -1 for t in terms],
            "need_weights": [t.weight for t in terms]}


def as_parameter(terms: tuple[NeedTerm, ...]) -> str:
    """The terms written back in need= grammar (for the echoed parameters)."""
    return ",".join((IMD if t.indicator == IMD else f"indicator:{t.indicator}:{'high' if t.high_is_need else 'low'}")
                    + (f"*{t.weight:g}" if t.weight != 1 else "") for t in terms)
