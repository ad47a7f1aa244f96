-- Fresh planner statistics for the tables the on-request analysis queries read (spending, gap
-- index): without them, right after a load, PostgreSQL guesses that few places have a category
-- and sorts them all for every small area instead of walking the spatial index (33 s, not 0.3 s).
ANALYZE places, place_years, spending, indicators, area_hierarchy, area_lookups
