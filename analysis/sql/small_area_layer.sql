-- The small-area layer (collection `small_areas`: its items, downloads and vector tiles): one row
-- per small area in scope with its access measures (access_ctes.sql) and its gap index
-- (gap_of_small_areas.sql, the same rounded figures as GET /gaps) as flat scalar columns, and its
-- geometry — the loaded LSOA boundary where there is one, else the origin point — in WGS84 (geom)
-- and British National Grid (geom_27700). Property names and meanings: docs/analysis.md.
WITH {{small_area_scope}},
{{access_ctes}},
{{gap_of_small_areas}},
-- Materialised: planned on its own, the joins see the scope's thousands of rows (hash joins), not
-- the handful a filter on the outside (a tile's box) makes the planner expect (nested loops).
layer AS MATERIALIZED (
SELECT m.code, m.name, m.vintage, m.population, m.imd_rank, m.imd_decile, m.ltla, m.utla, m.region,
       CASE WHEN a.id IS NULL THEN 'origin' ELSE 'boundary' END AS geometry_is,
       {{coverage_state}} AS coverage, array_to_string(m.counted, ',') AS categories_counted,
       CAST(round(CAST(m.nearest_m AS numeric), 1) AS float8) AS nearest_m,
       m.nearest_place_id, m.nearest_place_name,
       CAST(m.count_within AS int) AS count_within, CAST(m.cumulative AS float8) AS cumulative,
       CAST(round(CAST(1000.0 * m.count_within / nullif(m.population, 0) AS numeric), 3) AS float8) AS per_1000,
       m.fca2, m.e2sfca, m.gravity,
       CAST(g.gap ->> 'score' AS float8) AS gap_score, g.gap ->> 'driver' AS gap_driver,
       CAST(g.gap ->> 'need' AS float8) AS gap_need, CAST(g.gap ->> 'access' AS float8) AS gap_access,
       CAST(g.gap ->> 'access_any' AS float8) AS gap_access_any,
       CAST(g.gap ->> 'loss' AS float8) AS gap_loss, CAST(g.gap ->> 'spending' AS float8) AS gap_spending,
       CAST(g.gap ->> 'places_before' AS int) AS places_before,
       CAST(g.gap ->> 'places_lost' AS int) AS places_lost,
       CAST(g.gap ->> 'spending_real_change_pct' AS float8) AS spending_real_change_pct,
       coalesce(a.geom, ST_Transform(m.origin, 4326)) AS geom,
       coalesce(a.geom_27700, m.origin) AS geom_27700
FROM measured m
LEFT JOIN areas a ON a.id = m.area_id
LEFT JOIN gap g ON g.code = m.code
),
-- Per category (items only: a tile carries scalars, and a query not selecting it joins nothing,
-- the join removed as this side is one row per code).
by_category AS (
    SELECT code, json_object_agg(category, json_build_object(
               'weight', weight, 'nearest_m', round(CAST(nearest_m AS numeric), 1),
               'nearest_place_id', nearest_place_id, 'count_within', count_within,
               'per_1000', round(CAST(per_1000 AS numeric), 3)) ORDER BY position) AS by_category
    FROM category_measured GROUP BY code
)
SELECT l.*, b.by_category FROM layer l LEFT JOIN by_category b USING (code)
