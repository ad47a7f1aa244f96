"""One parser, one default and one name for each analysis parameter several endpoints share
(/gaps, /areas/…/summary, /scenarios, the small_areas layer, /closures, /priorities):
``categories`` (with optional weights), ``radius`` and the other distances, ``year``, ``area``,
``level`` and the gap index's part weights. Defaults and ranges are analysis/defaults.py's, which
the analysis reads too. Each dependency only parses, so each is ``async`` (app/dependencies.py).
"""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query

from analysis import gap_index
from analysis.defaults import (CATEGORIES as DEFAULT_CATEGORIES, LOSS_FROM, MAX_RADIUS_M, MAX_WEIGHT,
                               MIN_RADIUS_M, RADIUS_M, YEAR, YEARS)
from app import dependencies as dep
from app.errors import ApiError
from models.categories import CATEGORIES

CATEGORIES_DESCRIPTION = (
    "Categories of place, comma-separated, each with an optional weight `category:weight` (above 0, "
    f"at most {MAX_WEIGHT:g}; default 1), e.g. `library:1,community_centre:0.5`: " + ", ".join(CATEGORIES))
RADIUS_DESCRIPTION = (f"Metres (straight line, EPSG:27700) within which a place is within reach "
                      f"({MIN_RADIUS_M:g}–{MAX_RADIUS_M:g}; default {RADIUS_M:g}, the library standard).")
# What category_weights reads, as a regular expression: comma-separated parts, each blank or a
# known category with an optional weight above 0 and at most MAX_WEIGHT (10) in plain decimals.
# (It also refuses a category given twice, which a pattern does not say.)
_WEIGHT = r"(0{0,18}10(\.0{0,20})?|0{0,19}[1-9](\.[0-9]{0,20})?|0{1,20}\.0{0,10}[1-9][0-9]{0,9})"
_CATEGORY = rf" *({'|'.join(CATEGORIES)})( *: *{_WEIGHT})? *"
CATEGORIES_PATTERN = rf"^( *,)*{_CATEGORY}(,({_CATEGORY}| *))*$"
CATEGORIES_OR_NONE_PATTERN = rf"^ *$|{CATEGORIES_PATTERN}"  # /priorities: blank is the default
WEIGHT = "Weight of the {} part in the score (0 … %g, default 1; 0 leaves it out)." % MAX_WEIGHT


def distance(name: str, raw: str | None, default: float | None, top: float = MAX_RADIUS_M) -> float | None:
    """A distance parameter in metres (``default`` when absent), else 400 naming ``name``."""
    if raw is None:
        return default
    value = dep.number(name, raw)
    if not MIN_RADIUS_M <= value <= top:
        raise ApiError(400, f"{name} must be {MIN_RADIUS_M:g} to {top:g} metres, got {raw}", name)
    return value


def category_weights(raw: str, parameter: str = "categories") -> dict[str, float]:
    """``library:1,community_centre:0.5`` → {category: weight}, in the order given; a category
    without ``:weight`` weighs 1. Unknown, repeated or badly weighted categories: 400."""
    weights: dict[str, float] = {}
    for part in (p.strip() for p in raw.split(",")):
        name, weighted, weight = (s.strip() for s in part.partition(":"))
        if not part:
            continue
        if name not in CATEGORIES:
            raise ApiError(400, f"{parameter}: {name!r} unknown; allowed: {', '.join(CATEGORIES)}", parameter)
        if name in weights:
            raise ApiError(400, f"{parameter}: {name!r} is given twice", parameter)
        weights[name] = dep.number(parameter, weight) if weighted else 1.0
        if not 0 < weights[name] <= MAX_WEIGHT:
            raise ApiError(400, f"{parameter}: the weight of {name} must be above 0 and at most "
                                f"{MAX_WEIGHT:g}, got {weight}", parameter)
    if not weights:
        raise ApiError(400, f"{parameter}: no category given; allowed: {', '.join(CATEGORIES)}", parameter)
    return weights


def status_year(name: str, year: int) -> int:
    """A year of the status history (place_years), else 400 naming ``name``."""
    if year not in YEARS:
        raise ApiError(400, f"{name}: year {year} is outside the status history "
                            f"({YEARS.start}–{YEARS.stop - 1})", name)
    return year


def area_code(raw: str | None) -> str | None:
    """An area's code as given, blanks around it dropped; None when absent or blank."""
    return (raw or "").strip() or None


async def categories(categories: Annotated[str, Query(
        description=CATEGORIES_DESCRIPTION, pattern=CATEGORIES_PATTERN,
        openapi_examples={"libraries and community centres": {"value": "library,community_centre:0.5"}},
)] = ",".join(DEFAULT_CATEGORIES)) -> dict[str, float]:
    return category_weights(categories)


async def categories_or_category(
    categories: Annotated[str | None, Query(pattern=CATEGORIES_OR_NONE_PATTERN, description=CATEGORIES_DESCRIPTION + f" (default "
                                            f"{','.join(DEFAULT_CATEGORIES)}).")] = None,
    category: Annotated[str | None, Query(
        pattern=CATEGORIES_OR_NONE_PATTERN, deprecated=True,
        description="Deprecated: the old name of `categories` (read only when `categories` is absent).")] = None,
) -> dict[str, float]:
    """``categories``, on a route that took ``category`` before (/priorities): ``category`` is
    read only without ``categories`` (as the document says; both given used to be a 400)."""
    if categories is None and category and category.strip():
        return category_weights(category, "category")
    return category_weights(categories or ",".join(DEFAULT_CATEGORIES))




async def radius(radius: Annotated[dep.Number | None, Query(
        ge=MIN_RADIUS_M, le=MAX_RADIUS_M, description=RADIUS_DESCRIPTION)] = None) -> float:
    return RADIUS_M if radius is None else radius


# A year of the status history, as the document says it (status_year says it in a 400).
FIRST_YEAR, LAST_YEAR = YEARS.start, YEARS.stop - 1


async def year(year: Annotated[dep.Integer, Query(ge=FIRST_YEAR, le=LAST_YEAR,
        description=f"A place counts if its status history says it was open this year "
                    f"({YEARS.start}–{YEARS.stop - 1}; default {YEAR}).")] = YEAR) -> int:
    return status_year("year", year)


async def loss_from(loss_from: Annotated[dep.Integer, Query(ge=FIRST_YEAR, le=LAST_YEAR,
        description=f"Loss: places open in this year within the radius that are not open in `year` "
                    f"(default {LOSS_FROM}).")] = LOSS_FROM) -> int:
    return status_year("loss_from", loss_from)


async def gap_weights(
    w_need: Annotated[float, Query(ge=0, le=MAX_WEIGHT, description=WEIGHT.format("need"))] = 1.0,
    w_access: Annotated[float, Query(ge=0, le=MAX_WEIGHT, description=WEIGHT.format("access"))] = 1.0,
    w_loss: Annotated[float, Query(ge=0, le=MAX_WEIGHT, description=WEIGHT.format("loss"))] = 1.0,
    w_spending: Annotated[float, Query(ge=0, le=MAX_WEIGHT, description=WEIGHT.format("spending"))] = 1.0,
) -> gap_index.Weights:
    if not any((w_need, w_access, w_loss, w_spending)):
        raise ApiError(400, "every weight is 0: give at least one part a weight", "w_need")
    return gap_index.Weights(w_need, w_access, w_loss, w_spending)


# `level`: what one row or feature is. /gaps has small areas only; /priorities also authorities.
GAPS_LEVELS = ("lsoa",)
PRIORITY_LEVELS = ("lsoa", "authority")


async def gaps_level(level: Annotated[Literal[GAPS_LEVELS], Query(
        description="The small areas: `lsoa` (the only level so far).")] = "lsoa") -> str:
    return level


async def priorities_level(level: Annotated[Literal[PRIORITY_LEVELS], Query(
        description="lsoa: one row per small area (LSOA); authority: one per 2023 upper-tier "
                    "authority (split or merged ones together, as in /spending).")] = "authority") -> str:
    return level
