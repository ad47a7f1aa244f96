"""The published data kindmap loads: the catalog (data/catalog.toml, built by
scripts/build_catalog.py), fetching it into the data cache with every file checked
(`kindmap data fetch`), what is fetched and loaded (`kindmap data status`), and the licence and
attribution owed for what is loaded. Imports store (settings) and loaders.manifest, never app."""
