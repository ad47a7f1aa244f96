"""kindmap: a PostGIS-backed map of kindness infrastructure."""
