"""Place names compared as their distinctive words (shared by the identity engine and the
statement-list links)."""
from __future__ import annotations

import re
from functools import lru_cache

from rapidfuzz import fuzz

# Words that say what kind of place, not which one; dropped before names are compared.
GENERIC_WORDS = {"library", "libraries", "lib", "community", "centre", "center", "hub", "the", "and",
                 "branch", "information", "service", "services", "local", "public", "of", "point",
                 "st", "saint"}


@lru_cache(maxsize=65536)  # every load compares the same few thousand names again
def name_words(name: str | None) -> str:
    if not isinstance(name, str):  # None, or NaN from a pandas column
        return ""
    words = re.findall(r"[a-z0-9]+", name.lower().replace("&", " and "))
    return " ".join(w for w in words if w not in GENERIC_WORDS)


def name_similarity(a: str | None, b: str | None) -> float | None:
    """0–100 (rapidfuzz token_set_ratio of the distinctive words); None when either has none."""
    a, b = name_words(a), name_words(b)
    return None if not a or not b else fuzz.token_set_ratio(a, b)


def name_agreement(a: str | None, b: str | None) -> float | None:
    """0–100 (rapidfuzz token_sort_ratio of the distinctive words): both names must say the same
    words, not one a part of the other ("Sale West Heritage" is not "Sale Library", which
    name_similarity scores 100); None when either has none."""
    a, b = name_words(a), name_words(b)
    return None if not a or not b else fuzz.token_sort_ratio(a, b)
