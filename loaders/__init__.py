"""Loaders: one module per published source format, all through loaders.pipeline.

Each loader module declares ``KINDS = {"kind-name": Kind(...)}``; ``KINDS`` here gathers them
all (the CLI and manifests read it), so a new format is one new module and nothing else.
"""
import importlib
import pkgutil

from loaders.pipeline import Kind

KINDS: dict[str, Kind] = {}

for _module in pkgutil.iter_modules(__path__):
    _kinds = getattr(importlib.import_module(f"{__name__}.{_module.name}"), "KINDS", {})
    for _name, _kind in _kinds.items():
        if _name in KINDS:
            raise RuntimeError(f"loader kind {_name!r} is declared twice")
        KINDS[_name] = _kind
