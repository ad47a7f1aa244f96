"""Loaders: one module per published source format, all through loaders.pipeline.

``KINDS`` is the registry the CLI and the manifest read: kind name → (loader, source).
"""
from dataclasses import dataclass

from loaders import boundaries, libraries
from loaders.pipeline import Loader, SourceInfo
from loaders.sources import DCMS_LIBRARIES_2016, ONS_BOUNDARIES


@dataclass(frozen=True)
class Kind:
    load: Loader
    source: SourceInfo
    help: str


KINDS: dict[str, Kind] = {
    "boundaries": Kind(boundaries.load, ONS_BOUNDARIES,
                       "ONS boundaries (TopoJSON/GeoJSON/shapefile/GeoPackage) → areas"),
    "libraries-taskforce": Kind(libraries.load_taskforce, DCMS_LIBRARIES_2016,
                                "DCMS Libraries Taskforce 2016 CSV (lat/lng) → places"),
}
