"""Names `make lint`'s vulture cannot see being used: each is called or read by a framework
(typer, Starlette, anyio, pydantic, SQLAlchemy events), or is a field of a record built from
keyword arguments or serialised whole. Not imported by anything; vulture reads it."""
# ruff: noqa
_ = object()

_.__signature__      # typer builds `kindmap load <kind>`'s options from it (cli/main.py)
_.compressor         # Starlette's GZipResponder calls it (app/compression.py)
_.total_tokens       # anyio's thread limiter (app/main.py)
model_config         # pydantic-settings reads it (store/settings.py)
executemany          # SQLAlchemy's before_cursor_execute passes it (app/features.py)
proxy                # SQLAlchemy's checkout event passes it (store/db.py)
logger               # structlog passes a processor (logger, method_name, event) (store/redaction.py)
method_name
_.msg                # logging.LogRecord's message, rewritten by a Filter (store/redaction.py)
_.import_run_id      # a LoadReport field: in the JSON report (loaders/pipeline.py)
import_run_id
opened_year          # PlaceValues field, filled from a request by keyword (edits/validation.py)
took_effect          # a Reorganisation field (analysis/reorganisations.py)
small_area_parts     # ranked() at the small-area level; tests/test_priorities.py checks /priorities by it
repository_path      # a CatalogFile field, filled by keyword from data/catalog.toml (datasets/catalog.py)

# Not framework names: the data-fetch work's, unused outside tests as it landed; its author decides.
_.by_sha256          # datasets/catalog.py
_.by_name            # datasets/catalog.py
missing_files        # loaders/manifest.py (tests/test_manifest.py)
write_xlsx           # bench/generated_grants.py: the generated files tests/test_grants_load.py loads
write_json

# Used where vulture does not look: inside a code string, or only by tests (tests/ is not scanned).
gdal_read            # bench/osm.py: the GDAL baseline, run in a measured child by a `python -c` string
newer                # bench/osm_files.py: the newer extract tests/test_osm_reload.py generates and loads
