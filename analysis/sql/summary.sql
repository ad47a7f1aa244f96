-- GET /areas/{code}/summary: roll-ups of the small areas in scope (access_ctes.sql), for all of
-- them and per IMD decile, as one JSON object built by PostgreSQL:
--   residents, residents_within (living within :radius_m of a place) and share_within;
--   places: open places whose nearest small-area origin is in the group, per 10,000 residents;
--   median_m, p90_m: of residents, by distance to the nearest place — the smallest distance
--   within which at least half (nine tenths) of the group's residents live;
--   fca2: the population-weighted mean 2SFCA score;
--   by_category (in the request's order): per category, residents_within, share_within, and
--   places_within — the distinct open places of it within :radius_m of the group's origins — per
--   1,000 of the group's residents (per_1000: the Community Needs Index's civic-assets density).
-- Only the small areas where some category asked is known in the year count (coverage); the others
-- are summed apart in `not_covered` (small areas, residents), and `categories_counted` says which
-- categories counted somewhere in scope. A category's own figures count only the small areas where
-- it is known (`residents` of by_category); a category known in none of the group is left out.
WITH {{access_scope}},
{{access_ctes}},
place_origin AS (
    SELECT o.code
    FROM open_places p
    CROSS JOIN LATERAL (SELECT a.code FROM analysis_small_areas a
                        ORDER BY a.origin <-> p.geom LIMIT 1) o
),
known AS (SELECT * FROM measured WHERE counted IS NOT NULL),
grouped AS (
    SELECT NULL::int AS imd_decile, m.code, m.population, m.nearest_m, m.count_within, m.fca2 FROM known m
    UNION ALL
    SELECT m.imd_decile, m.code, m.population, m.nearest_m, m.count_within, m.fca2 FROM known m
    WHERE m.imd_decile IS NOT NULL
),
ranked AS (
    SELECT g.*, g.imd_decile IS NULL AS whole,
           sum(population) OVER (PARTITION BY imd_decile IS NULL, imd_decile
                                 ORDER BY nearest_m NULLS LAST, code) AS nearer,
           sum(population) OVER (PARTITION BY imd_decile IS NULL, imd_decile) AS total
    FROM grouped g
),
place_counts AS (
    SELECT NULL::int AS imd_decile, true AS whole, count(*) AS places
    FROM place_origin po JOIN known m USING (code)
    UNION ALL
    SELECT m.imd_decile, false, count(*) FROM place_origin po JOIN known m USING (code)
    WHERE m.imd_decile IS NOT NULL GROUP BY m.imd_decile
),
rolled AS (
    SELECT r.whole, r.imd_decile, count(*) AS small_areas, sum(r.population) AS residents,
           sum(r.population) FILTER (WHERE r.count_within > 0) AS residents_within,
           min(r.nearest_m) FILTER (WHERE r.nearer >= 0.5 * r.total) AS median_m,
           min(r.nearest_m) FILTER (WHERE r.nearer >= 0.9 * r.total) AS p90_m,
           sum(r.fca2 * r.population) / nullif(sum(r.population), 0) AS fca2
    FROM ranked r GROUP BY r.whole, r.imd_decile
),
category_groups AS (  -- each scoped small area in its groups (all, its decile), per category known there
    SELECT NULL::int AS imd_decile, true AS whole, c.* FROM category_measured c WHERE c.known
    UNION ALL
    SELECT m.imd_decile, false, c.* FROM category_measured c JOIN measured m USING (code)
    WHERE m.imd_decile IS NOT NULL AND c.known
),
category_places AS (
    SELECT g.whole, g.imd_decile, g.category, count(DISTINCT w.id) AS places
    FROM category_groups g JOIN pairs w ON w.code = g.code AND w.category = g.category
    WHERE w.d <= :radius_m
    GROUP BY g.whole, g.imd_decile, g.category
),
category_rolled AS (
    SELECT g.whole, g.imd_decile, json_object_agg(g.category, json_build_object(
               'weight', g.weight, 'residents', g.residents, 'residents_within', g.residents_within,
               'share_within', g.residents_within::float8 / nullif(g.residents, 0),
               'places_within', coalesce(p.places, 0),
               'per_1000', coalesce(p.places, 0) * 1000.0 / nullif(g.residents, 0)) ORDER BY g.position) AS by_category
    FROM (SELECT cg.whole, cg.imd_decile, cg.category, max(cg.position) AS position, max(cg.weight) AS weight,
                 sum(s.population) AS residents,
                 coalesce(sum(s.population) FILTER (WHERE cg.count_within > 0), 0) AS residents_within
          FROM category_groups cg JOIN scoped s USING (code)
          GROUP BY cg.whole, cg.imd_decile, cg.category) g
    LEFT JOIN category_places p ON p.whole = g.whole AND p.imd_decile IS NOT DISTINCT FROM g.imd_decile
                                AND p.category = g.category
    GROUP BY g.whole, g.imd_decile
),
figures AS (
    SELECT r.whole, r.imd_decile, json_build_object(
        'imd_decile', r.imd_decile, 'small_areas', r.small_areas, 'residents', r.residents,
        'residents_within', coalesce(r.residents_within, 0),
        'share_within', coalesce(r.residents_within, 0)::float8 / nullif(r.residents, 0),
        'places', coalesce(p.places, 0),
        'places_per_10k', coalesce(p.places, 0) * 10000.0 / nullif(r.residents, 0),
        'median_m', round(CAST(r.median_m AS numeric), 1), 'p90_m', round(CAST(r.p90_m AS numeric), 1),
        'fca2', r.fca2, 'by_category', c.by_category) AS figures
    FROM rolled r LEFT JOIN place_counts p ON p.whole = r.whole AND p.imd_decile IS NOT DISTINCT FROM r.imd_decile
    LEFT JOIN category_rolled c ON c.whole = r.whole AND c.imd_decile IS NOT DISTINCT FROM r.imd_decile
)
SELECT json_build_object(
    'categories_counted', coalesce((SELECT array_agg(DISTINCT c ORDER BY c) FROM known, unnest(counted) c),
                                   ARRAY[]::text[]),
    'not_covered', (SELECT json_build_object('small_areas', count(*), 'residents', coalesce(sum(population), 0))
                    FROM measured WHERE counted IS NULL),
    'all', (SELECT figures FROM figures WHERE whole),
    'by_imd_decile', coalesce((SELECT json_agg(figures ORDER BY imd_decile) FROM figures WHERE NOT whole), '[]'))::text
