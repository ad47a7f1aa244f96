"""Loaders: one module per published source format, all through loaders.pipeline.

Each loader module declares ``KINDS = {"kind-name": Kind(...)}``. ``KINDS`` here is a lazy
registry of them all (the CLI and manifests read it): ``KINDS[name]`` imports only the module
``MODULES`` names for that kind, so importing ``loaders`` (or one loader) imports no other
reader. Listing the kinds imports every module, so a new format's module is found even before
its line is added to ``MODULES`` (tests/test_manifest.py checks that the map is complete).
"""
from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator, Mapping
from functools import cache

# kind → the module of loaders/ that declares it
MODULES = {
    "boundaries": "boundaries",
    "deflators": "deflators",
    "grants-360giving": "grants_360giving",
    "indicators-csv": "indicators_csv",
    "libraries-taskforce": "libraries",
    "libraries-basic": "libraries",
    "libraries-uk": "libraries",
    "library-activity": "library_activity",
    "lookup": "lookups",
    "mobile-library-stops": "mobile_libraries",
    "os-buildings": "os_buildings",
    "osm": "osm",
    "places-csv": "place_lists",
    "places-geojson": "place_lists",
    "public-health-detail": "public_health_detail",
    "revenue-outturn": "revenue_outturn",
    "population": "statistics",
    "imd": "statistics",
    "centroids": "statistics",
}


@cache
def declared() -> dict:
    """Every kind every module of loaders/ declares (imports them all), in module order."""
    kinds: dict = {}
    for module in pkgutil.iter_modules(__path__):
        for name, kind in getattr(importlib.import_module(f"{__name__}.{module.name}"), "KINDS", {}).items():
            if name in kinds:
                raise RuntimeError(f"loader kind {name!r} is declared twice")
            kinds[name] = kind
    return kinds


class Kinds(Mapping):
    """kind name → loaders.pipeline.Kind, importing a loader's module when its kind is asked for."""

    def __getitem__(self, name: str):
        if name in MODULES:
            return importlib.import_module(f"{__name__}.{MODULES[name]}").KINDS[name]
        return declared()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(declared())

    def __len__(self) -> int:
        return len(declared())

    def __contains__(self, name: object) -> bool:
        return name in MODULES or name in declared()


KINDS = Kinds()
