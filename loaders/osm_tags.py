"""THE OpenStreetMap tag → place category table (docs/osm-tags.md), and classifying a feature's tags.

``TAG_MAP`` holds the third places every load keeps; ``EXTRA_TAG_MAP`` the optional civic assets
(pubs, cafés, sports and leisure centres, parks, playgrounds: ``models.categories.OPTIONAL_CATEGORIES``)
a load keeps only when asked (``kindmap load osm FILE --extras pub,park`` or ``all``).
"""
from __future__ import annotations

from models.categories import CATEGORIES, OPTIONAL_CATEGORIES

# Residential or care services: social facilities, but not places people drop in to meet.
RESIDENTIAL_SOCIAL_FACILITIES = frozenset({
    "assisted_living", "nursing_home", "group_home", "hospice", "care_home", "residential_home"})

# THE tag → category mapping. Rules are tried in order; the first whose tags all match wins
# (a value may be a set of values). A category of None excludes the feature.
TAG_MAP: list[tuple[dict[str, str | frozenset[str]], str | None]] = [
    ({"amenity": "library"}, "library"),
    ({"amenity": "community_centre", "community_centre": "youth_centre"}, "youth_centre"),
    ({"amenity": "community_centre", "community_centre": "village_hall"}, "village_hall"),
    ({"amenity": "community_centre", "community_centre": frozenset({"childrens_centre", "family_centre"})},
     "childrens_centre"),
    ({"amenity": "community_centre"}, "community_centre"),
    ({"amenity": "youth_centre"}, "youth_centre"),          # deprecated tag, still in use
    ({"amenity": "village_hall"}, "village_hall"),          # deprecated tag, still in use
    ({"amenity": "social_centre"}, "social_centre"),
    ({"amenity": "townhall", "townhall:type": "community"}, "community_centre"),
    ({"amenity": "townhall"}, "town_hall"),
    ({"amenity": "arts_centre"}, "arts_centre"),
    ({"amenity": "place_of_worship"}, "place_of_worship"),
    ({"amenity": "food_bank"}, "food_bank"),
    ({"social_facility": "food_bank"}, "food_bank"),        # with amenity=social_facility or alone
    ({"amenity": "social_facility", "social_facility": RESIDENTIAL_SOCIAL_FACILITIES}, None),
    ({"amenity": "social_facility"}, "social_facility"),
]

# Lifecycle prefixes (https://wiki.openstreetmap.org/wiki/Lifecycle_prefix): a feature whose
# ``<prefix>:amenity`` would match TAG_MAP is a closed place of that category.
LIFECYCLE_PREFIXES = ("disused", "abandoned", "closed", "was")
# ``disused=yes`` / ``abandoned=yes`` beside a live amenity also mean closed.
LIFECYCLE_FLAGS = ("disused", "abandoned")

# operator:type → operator vocabulary (anything else: unknown). In the UK, government/public
# operators of these amenities are local authorities.
OPERATOR_TYPE = {
    "council": "council", "local_authority": "council", "municipal": "council",
    "government": "council", "public": "council",
    "community": "community",
    "private": "commercial", "commercial": "commercial", "business": "commercial",
    "religious": "other", "charity": "other", "charitable": "other", "ngo": "other",
    "non_profit": "other",
}

assert all(c is None or c in CATEGORIES for _, c in TAG_MAP), "TAG_MAP category not in vocabulary"

# Optional civic assets, tried after TAG_MAP, kept only when a load asks for their categories.
EXTRA_TAG_MAP: list[tuple[dict[str, str | frozenset[str]], str]] = [
    ({"amenity": "pub"}, "pub"),
    ({"amenity": "cafe"}, "cafe"),
    ({"leisure": "sports_centre"}, "sports_centre"),
    ({"leisure": "park"}, "park"),
    ({"leisure": "playground"}, "playground"),
]
assert {c for _, c in EXTRA_TAG_MAP} == set(OPTIONAL_CATEGORIES), "EXTRA_TAG_MAP and OPTIONAL_CATEGORIES differ"


def extras_of(asked: str | None) -> frozenset[str]:
    """``pub,park`` or ``all`` → the optional categories asked for; ValueError names an unknown one."""
    if not asked:
        return frozenset()
    wanted = {w.strip() for w in asked.split(",") if w.strip()}
    if wanted == {"all"}:
        return frozenset(OPTIONAL_CATEGORIES)
    unknown = wanted - set(OPTIONAL_CATEGORIES)
    if unknown:
        raise ValueError(f"--extras {sorted(unknown)} unknown; optional categories: "
                         f"{', '.join(OPTIONAL_CATEGORIES)} (or all)")
    return frozenset(wanted)


def rules(extras: frozenset[str] = frozenset()) -> list[tuple[dict, str | None]]:
    return TAG_MAP + [(rule, c) for rule, c in EXTRA_TAG_MAP if c in extras]


# -- the mapping ------------------------------------------------------------------------------
def _matches(tags: dict, rule: dict) -> bool:
    """Every tag of the rule present with a wanted value (any of ``a;b`` multi-values counts)."""
    for key, wanted in rule.items():
        value = tags.get(key)
        if value is None:
            return False
        values = {v.strip() for v in str(value).split(";")}
        if not values & (wanted if isinstance(wanted, frozenset) else {wanted}):
            return False
    return True


def _category(tags: dict, extras: frozenset[str] = frozenset()) -> str | None:
    for rule, category in rules(extras):
        if _matches(tags, rule):
            return category
    return None


def classify(tags: dict, extras: frozenset[str] = frozenset()) -> tuple[str, str] | None:
    """(category, status) of a feature's tags, or None when it is not a third place (nor an
    optional category asked for in ``extras``)."""
    category = _category(tags, extras)
    if category:
        closed = any(tags.get(flag) == "yes" for flag in LIFECYCLE_FLAGS)
        return category, "closed" if closed else "open"
    if any(_matches(tags, rule) for rule, c in TAG_MAP if c is None):
        return None  # explicitly excluded, whatever its lifecycle tags
    for prefix in LIFECYCLE_PREFIXES:
        value = tags.get(f"{prefix}:amenity")
        if value:
            category = _category({**tags, "amenity": value}, extras)
            if category:
                return category, "closed"
    return None


def filter_values(extras: frozenset[str] = frozenset()) -> dict[str, set[str]]:
    """Tag values worth reading at all, by key: the pre-filter GDAL applies before Python does."""
    keys: dict[str, set[str]] = {}
    for rule, category in rules(extras):
        if category is None:
            continue
        key, value = next(iter(rule.items()))  # the rule's first tag is its primary one
        keys.setdefault(key, set()).update(value if isinstance(value, frozenset) else {value})
    for prefix in LIFECYCLE_PREFIXES:
        keys[f"{prefix}:amenity"] = set(keys["amenity"])
    return keys


