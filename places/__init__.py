"""What one real place is: source records grouped into places (identity, overrides, statement-list
links), each record's country, status by year (place_years) and the served status (place_current).
Used by loaders, edits and analysis (docs/places.md, docs/architecture.md)."""
