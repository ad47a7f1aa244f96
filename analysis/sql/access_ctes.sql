-- The CTEs of access per small area to the places of :categories open in :year (place_years), for
-- the small areas of the CTE `scoped` (rows of analysis_small_areas, defined by the including
-- query before this file: access_scope.sql, or its own). Definitions follow pysal `access`
-- (docs/analysis.md); every small area is a demand of its population, every place j a supply
--   S_j = weight of its category (:category_weights, beside :categories; 1 each by default)
--         × its hours factor (:supply = 'hours': its stated weekly opening hours over the median
--           of its category's open places that state them; 1 where unknown; 'places': 1):
--   nearest       the nearest open place of any of the categories (distance, id, name, category)
--   count_within  places within :radius_m (a count, whatever their supply)
--   cumulative    cumulative opportunities: Σ S_j within :catchment_m (weighted_catchment)
--   fca2          2SFCA (Luo & Wang): R_j = S_j / Σ_{d_ij ≤ c} P_i;  A_i = Σ_{d_ij ≤ c} R_j
--   e2sfca        enhanced 2SFCA, step weights W (:step_m ascending, :step_w; 0 beyond the last):
--                 R_j = S_j / Σ_i W(d_ij) P_i;  A_i = Σ_j W(d_ij) R_j
--   gravity       Σ_{d_ij ≤ :gravity_max_m} S_j (max(d_ij, :gravity_min_m) / :gravity_scale_m)^:gravity_alpha
-- and per category (`category_measured`: one row per scoped small area and category) its nearest
-- place, count within :radius_m and places within :radius_m per 1,000 residents of the small area.
-- What-if: places in :closed_ids are left out, points (:opened_lon, :opened_lat) are added as
-- places of the first category with ids -1, -2, … (supply: that category's weight). Nothing is written.
-- Coverage (docs/analysis.md, "Coverage"): a small area's measures count only the places of the
-- categories known there in :year (`counted`: those known everywhere, `universal`, and those known
-- in this small area, `partial`, from analysis_coverage); where none is known they are
-- NULL (not_covered), never 0, and a category's own row (`category_measured`) is NULL where it is
-- not known. Nearest places are found per category, so a community centre across the border of the
-- area where community centres are known is never a library-only area's nearest.
-- Every small area stays demand in the 2SFCA catchments: its residents use the places near them.
universal AS MATERIALIZED (  -- the categories known in every small area in :year (libraries): no per-area check
    SELECT coalesce(array_agg(CAST(c.category AS text) ORDER BY c.category), ARRAY[]::text[]) AS categories
    FROM analysis_coverage c  -- code '*': the years known everywhere (coverage_small_areas.sql), by primary key
    WHERE c.code = '*' AND c.category = ANY(CAST(:categories AS text[])) AND c.years @> CAST(:year AS int)
),
partial_pairs AS MATERIALIZED (  -- the others: (scoped small area, category) known in :year
    SELECT c.code, c.category FROM analysis_coverage c JOIN scoped s USING (code)  -- a code is scoped once
    WHERE c.category = ANY(CAST(:categories AS text[])) AND c.years @> CAST(:year AS int)
      AND c.category <> ALL(CAST((SELECT categories FROM universal) AS text[]))
),
partial AS (  -- sorted once, so the arrays are in category order without a sort per small area
    SELECT code, array_agg(category) AS categories
    FROM (SELECT code, category FROM partial_pairs ORDER BY code, category) o GROUP BY code
),
reach AS (  -- the furthest any measure looks
    SELECT greatest(CAST(:radius_m AS float8), :catchment_m, :gravity_max_m,
                    coalesce((SELECT max(m) FROM unnest(CAST(:step_m AS float8[])) m), 0)) AS m
),
scope_box AS (  -- the box of the scoped origins
    SELECT ST_SetSRID(ST_Extent(origin)::geometry, 27700) AS box FROM scoped
),
category_weights AS (  -- each requested category, its weight and its position in the request
    SELECT c AS category, coalesce(w, 1) AS weight, n AS position
    FROM unnest(CAST(:categories AS text[]), CAST(:category_weights AS float8[])) WITH ORDINALITY AS t(c, w, n)
),
opened AS (
    SELECT -n AS id, 'proposed place ' || n AS name, (CAST(:categories AS text[]))[1] AS category,
           ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 27700) AS geom
    FROM unnest(CAST(:opened_lon AS float8[]), CAST(:opened_lat AS float8[])) WITH ORDINALITY AS o(lon, lat, n)
),
open_stored AS MATERIALIZED (  -- every stored place open in :year, anywhere (any may be some origin's nearest)
    SELECT p.id, p.name, p.category, p.geom_27700 AS geom
    FROM places p
    WHERE p.category = ANY(CAST(:categories AS text[]))
      AND p.id <> ALL(CAST(:closed_ids AS bigint[]))
      AND EXISTS (SELECT 1 FROM place_years y WHERE y.place_id = p.id AND y.year = :year AND y.status = 'open')
),
-- Hours (:supply = 'hours'): a place's weekly opening hours are those stated by the record of its
-- group (itself, or a record merged into it) whose `hours_year` is nearest :year (then the earlier);
-- loaders write attributes.weekly_hours and hours_year where a source states them (docs/analysis.md).
stated_hours AS MATERIALIZED (
    SELECT DISTINCT ON (o.id) o.id, o.category, h.hours
    FROM open_stored o
    CROSS JOIN LATERAL (
        SELECT CAST(r.attributes ->> 'weekly_hours' AS float8) AS hours, CAST(r.attributes ->> 'hours_year' AS int) AS y
        FROM places r WHERE r.id = o.id AND r.attributes ? 'weekly_hours'
        UNION ALL
        SELECT CAST(r.attributes ->> 'weekly_hours' AS float8), CAST(r.attributes ->> 'hours_year' AS int)
        FROM places r WHERE r.merged_into = o.id AND r.attributes ? 'weekly_hours') h
    WHERE CAST(:supply AS text) = 'hours' AND h.hours > 0
    ORDER BY o.id, abs(h.y - :year), h.y
),
typical_hours AS (  -- the median week of each category's places that state one
    SELECT category, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS hours
    FROM stated_hours GROUP BY category
),
open_all AS MATERIALIZED (  -- the open places and their supply S_j
    SELECT o.id, o.name, o.category, o.geom,  -- the weight by position: a join here hid the row count from the planner
           coalesce((CAST(:category_weights AS float8[]))[array_position(CAST(:categories AS text[]), CAST(o.category AS text))], 1)
           * coalesce(h.hours / t.hours, 1) AS s
    FROM open_stored o
    LEFT JOIN stated_hours h USING (id)
    LEFT JOIN typical_hours t ON t.category = o.category
    UNION ALL
    SELECT o.id, o.name, o.category, o.geom, c.weight FROM opened o JOIN category_weights c USING (category)
),
-- Nearest, per category. For a scope of more than :cells_from origins, set-based: the Voronoi
-- cell of each distinct place location of a category, extended over the scoped origins, holds the
-- origins that place is nearest to; each cell finds its place(s) and its origins through the
-- spatial indexes (an origin on a shared edge, or two places at one point, resolve to the smaller
-- distance, then the smaller id; sites within 1 mm snap together, for GEOS's robustness).
-- Otherwise — and for any origin no cell holds (GEOS makes no cell for a single location) — a KNN
-- walk of the places' spatial index per origin and category (in `nearest_each`).
cells AS MATERIALIZED (
    SELECT category,
           (ST_Dump(ST_VoronoiPolygons(ST_Collect(geom), 0.001, (SELECT ST_Expand(box, 1) FROM scope_box)))).geom AS cell
    FROM open_all
    WHERE (SELECT count(*) FROM scoped) > CAST(:cells_from AS int)
    GROUP BY category
),
sites AS MATERIALIZED (
    SELECT c.cell, c.category, p.id, p.name, p.geom_27700 AS geom
    FROM cells c JOIN places p ON ST_Intersects(c.cell, p.geom_27700)
    -- filters, not index conditions: the cells' row count is a guess, and a bitmap of the category's
    -- index per cell cost ~1 ms each (3,000 cells: 3.5 s)
    WHERE c.cell && (SELECT box FROM scope_box) AND (p.category = c.category) IS TRUE
      AND (p.id IN (SELECT id FROM open_all)) IS TRUE
    UNION ALL
    SELECT c.cell, c.category, o.id, o.name, o.geom
    FROM cells c JOIN opened o ON o.category = c.category AND ST_Intersects(c.cell, o.geom)
),
-- nearest_in_cell and scores cover every small area the cells and pairs reach, scoped or not:
-- the joins to `scoped` keep the scoped ones (filtering here hashed every scoped code twice).
nearest_in_cell AS (
    SELECT DISTINCT ON (a.code, s.category) a.code, s.category, s.id, s.name, ST_Distance(a.origin, s.geom) AS d
    FROM sites s JOIN analysis_small_areas a ON ST_Intersects(s.cell, a.origin)
    ORDER BY a.code, s.category, ST_Distance(a.origin, s.geom), s.id
),
known_each AS (  -- each scoped small area and requested category, and whether it is known there in :year
    SELECT s.code, s.origin, c.category,
           c.category = ANY(CAST((SELECT categories FROM universal) AS text[])) OR p.code IS NOT NULL AS known
    FROM scoped s CROSS JOIN category_weights c
    LEFT JOIN partial_pairs p ON p.code = s.code AND p.category = c.category
),
nearest_each AS (  -- each scoped small area's nearest open place of each category known there (else NULLs)
    SELECT s.code, s.category, s.known, coalesce(n.id, k.id) AS id, coalesce(n.name, k.name) AS name,
           coalesce(n.d, k.d) AS d
    FROM known_each s
    LEFT JOIN nearest_in_cell n ON s.known AND n.code = s.code AND n.category = s.category
    LEFT JOIN LATERAL (  -- the KNN walk, for the origins no cell holds
        SELECT x.* FROM (
            (SELECT p.id, p.name, ST_Distance(p.geom_27700, s.origin) AS d
             FROM places p  -- "IS TRUE" keeps the IN a hashed filter on the walk, not a join
             WHERE ((p.id, s.category) IN (SELECT id, category FROM open_all)) IS TRUE
             ORDER BY p.geom_27700 <-> s.origin LIMIT 1)
            UNION ALL
            SELECT o.id, o.name, ST_Distance(o.geom, s.origin) FROM opened o WHERE o.category = s.category) x
        WHERE s.known AND n.code IS NULL
        ORDER BY x.d, x.id LIMIT 1) k ON true
),
nearest_any AS (  -- the nearest of any category (one category: its own, without a sort)
    SELECT code, id, name, category, d FROM nearest_each WHERE cardinality(CAST(:categories AS text[])) = 1
    UNION ALL
    SELECT * FROM (SELECT DISTINCT ON (code) code, id, name, category, d FROM nearest_each
                   WHERE d IS NOT NULL ORDER BY code, d, id) m
    WHERE cardinality(CAST(:categories AS text[])) > 1
),
open_places AS (  -- the open places that can reach a scoped small area lie in this box
    SELECT * FROM open_all WHERE geom && (SELECT ST_Expand(box, m) FROM scope_box, reach)
),
pairs AS MATERIALIZED (  -- every small area (scoped or not: all are demand) within reach of a place
    SELECT a.code, a.population, p.id, p.category, p.s, d.d,
           coalesce((CAST(:step_w AS float8[]))[width_bucket(d.d, CAST(:step_m AS float8[]))
                    + CASE WHEN d.d = (CAST(:step_m AS float8[]))[width_bucket(d.d, CAST(:step_m AS float8[]))]
                           THEN 0 ELSE 1 END], 0) AS w  -- W(d): the weight of the first step with d ≤ m
    FROM open_places p
    JOIN analysis_small_areas a ON ST_DWithin(a.origin, p.geom, (SELECT m FROM reach))
    CROSS JOIN LATERAL (SELECT ST_Distance(a.origin, p.geom) AS d) d
),
supply AS (  -- each place's supply per resident of its catchment
    SELECT id,
           max(s) / nullif(sum(population) FILTER (WHERE d <= :catchment_m), 0) AS r_fca2,
           max(s) / nullif(sum(population * w), 0) AS r_e2sfca
    FROM pairs GROUP BY id
),
scores AS (
    SELECT w.code,
           count(*) FILTER (WHERE w.d <= :radius_m) AS count_within,
           sum(w.s) FILTER (WHERE w.d <= :catchment_m) AS cumulative,
           coalesce(sum(s.r_fca2) FILTER (WHERE w.d <= :catchment_m), 0) AS fca2,
           coalesce(sum(w.w * s.r_e2sfca) FILTER (WHERE w.w > 0), 0) AS e2sfca,
           coalesce(sum(w.s * power(greatest(w.d, :gravity_min_m) / :gravity_scale_m, :gravity_alpha))
                    FILTER (WHERE w.d <= :gravity_max_m), 0) AS gravity
    FROM pairs w JOIN supply s USING (id)
    WHERE w.category = ANY(CAST((SELECT categories FROM universal) AS text[]))  -- known there
       OR ((w.code, w.category) IN (SELECT code, category FROM partial_pairs)) IS TRUE
    GROUP BY w.code
),
measured AS (  -- a small area where no category asked is known (counted IS NULL): every measure NULL
    SELECT s.code, s.name, s.vintage, s.population, s.imd_rank, s.imd_decile, s.ltla, s.utla, s.region,
           s.area_id, s.origin, ct.counted,
           n.id AS nearest_place_id, n.name AS nearest_place_name,
           n.category AS nearest_place_category, n.d AS nearest_m,
           CASE WHEN ct.counted IS NOT NULL THEN coalesce(sc.count_within, 0) END AS count_within,
           CASE WHEN ct.counted IS NOT NULL THEN coalesce(sc.cumulative, 0) END AS cumulative,
           CASE WHEN ct.counted IS NOT NULL THEN coalesce(sc.fca2, 0) END AS fca2,
           CASE WHEN ct.counted IS NOT NULL THEN coalesce(sc.e2sfca, 0) END AS e2sfca,
           CASE WHEN ct.counted IS NOT NULL THEN coalesce(sc.gravity, 0) END AS gravity
    FROM scoped s
    LEFT JOIN partial pc USING (code)
    CROSS JOIN universal u
    CROSS JOIN LATERAL (  -- the categories counted here, in order; NULL: none (not_covered)
        SELECT CASE WHEN pc.code IS NULL THEN nullif(u.categories, ARRAY[]::text[])
                    ELSE ARRAY(SELECT c FROM unnest(u.categories || pc.categories) c ORDER BY c) END AS counted) ct
    LEFT JOIN nearest_any n USING (code)
    LEFT JOIN scores sc USING (code)
),
category_counts AS (
    SELECT code, category, count(*) AS count_within FROM pairs WHERE d <= :radius_m GROUP BY code, category
),
category_measured AS (  -- per scoped small area and category; per_1000: places within the radius per 1,000
    -- residents; where the category is not known there (known false) every measure is NULL (not_covered)
    SELECT e.code, e.category, c.weight, c.position, e.known, e.id AS nearest_place_id, e.name AS nearest_place_name,
           e.d AS nearest_m, CASE WHEN e.known THEN coalesce(k.count_within, 0) END AS count_within,
           CASE WHEN e.known THEN CAST(1000 AS float8) * coalesce(k.count_within, 0) / nullif(s.population, 0) END AS per_1000
    FROM nearest_each e
    JOIN category_weights c USING (category)
    JOIN scoped s USING (code)
    LEFT JOIN category_counts k USING (code, category)
)
