-- The CTEs of access per small area to the places of :categories open in :year (place_years), for
-- the small areas of the CTE `scoped` (rows of analysis_small_areas, defined by the including
-- query before this file: access_scope.sql, or its own). Definitions follow pysal `access`
-- (docs/analysis.md), every place a supply of 1, every small area a demand of its population:
--   nearest       the nearest open place (distance, id, name, category)
--   count_within  places within :radius_m
--   cumulative    cumulative opportunities: supply within :catchment_m (weighted_catchment)
--   fca2          2SFCA (Luo & Wang): R_j = S_j / Σ_{d_ij ≤ c} P_i;  A_i = Σ_{d_ij ≤ c} R_j
--   e2sfca        enhanced 2SFCA, step weights W (:step_m ascending, :step_w; 0 beyond the last):
--                 R_j = S_j / Σ_i W(d_ij) P_i;  A_i = Σ_j W(d_ij) R_j
--   gravity       Σ_{d_ij ≤ :gravity_max_m} S_j (max(d_ij, :gravity_min_m) / :gravity_scale_m)^:gravity_alpha
-- What-if: places in :closed_ids are left out, points (:opened_lon, :opened_lat) are added as
-- places with ids -1, -2, … of the first of :categories. Nothing is written.
-- Coverage (docs/analysis.md, "Coverage"): a small area's measures count only the places of the
-- categories known there in :year (`counted`: those known everywhere, `universal`, and those known
-- in this small area, `partial`, from analysis_coverage); where none is known they are
-- NULL (not_covered), never 0. Nearest places are found per category, so a community centre across
-- the border of the area where community centres are known is never a library-only area's nearest.
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
opened AS (
    SELECT -n AS id, 'proposed place ' || n AS name, (CAST(:categories AS text[]))[1] AS category,
           ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 27700) AS geom
    FROM unnest(CAST(:opened_lon AS float8[]), CAST(:opened_lat AS float8[])) WITH ORDINALITY AS o(lon, lat, n)
),
open_all AS MATERIALIZED (  -- every place open in :year, anywhere (any may be some origin's nearest)
    SELECT p.id, p.name, p.category, p.geom_27700 AS geom
    FROM places p
    WHERE p.category = ANY(CAST(:categories AS text[]))
      AND p.id <> ALL(CAST(:closed_ids AS bigint[]))
      AND EXISTS (SELECT 1 FROM place_years y WHERE y.place_id = p.id AND y.year = :year AND y.status = 'open')
    UNION ALL
    SELECT id, name, category, geom FROM opened
),
-- Nearest, per category. For a scope of more than :cells_from origins, set-based: the Voronoi cell
-- of each distinct place location of a category, extended over the scoped origins, holds the
-- origins that place is nearest to; each cell finds its place(s) and its origins through the spatial indexes (an
-- origin on a shared edge, or two places at one point, resolve to the smaller distance, then the
-- smaller id; sites within 1 mm snap together, for GEOS's robustness). Otherwise — and for any
-- origin and category no cell holds (GEOS makes no cell for a single location) — a KNN walk of the
-- places' spatial index per origin and category (in `nearest_walked`).
cells AS MATERIALIZED (
    SELECT category, (ST_Dump(ST_VoronoiPolygons(ST_Collect(geom), 0.001,
                                                 (SELECT ST_Expand(box, 1) FROM scope_box)))).geom AS cell
    FROM open_all
    WHERE (SELECT count(*) FROM scoped) > CAST(:cells_from AS int)
    GROUP BY category
),
sites AS MATERIALIZED (
    SELECT c.cell, p.id, p.name, p.category, p.geom_27700 AS geom
    FROM cells c JOIN places p ON ST_Intersects(c.cell, p.geom_27700) AND p.category = c.category
    -- "IS TRUE" keeps the IN a hashed filter: planned as a semi join it probed every open place per site
    WHERE c.cell && (SELECT box FROM scope_box) AND (p.id IN (SELECT id FROM open_all)) IS TRUE
    UNION ALL
    SELECT c.cell, o.id, o.name, o.category, o.geom
    FROM cells c JOIN opened o ON ST_Intersects(c.cell, o.geom) AND o.category = c.category
),
-- nearest_in_cell and scores cover every small area the cells and pairs reach, scoped or not:
-- `measured` keeps the scoped ones (filtering here hashed every scoped code twice, ~50 ms for England).
nearest_in_cell AS MATERIALIZED (  -- per small area, its nearest place among the cells of the categories counted there
    SELECT DISTINCT ON (a.code) a.code, s.id, s.name, s.category, ST_Distance(a.origin, s.geom) AS d
    FROM sites s JOIN analysis_small_areas a ON ST_Intersects(s.cell, a.origin)
    -- known there: "IS TRUE" keeps the IN a hashed filter (and it is never probed for a universal category)
    WHERE s.category = ANY(CAST((SELECT categories FROM universal) AS text[]))
       OR ((a.code, s.category) IN (SELECT code, category FROM partial_pairs)) IS TRUE
    ORDER BY a.code, ST_Distance(a.origin, s.geom), s.id
),
nearest_walked AS (  -- the KNN walk, for the counted categories that have no cells (a small scope; one location)
    SELECT DISTINCT ON (w.code) w.code, k.id, k.name, k.category, k.d
    FROM (SELECT s.code, u.category, s.origin FROM scoped s, universal, unnest(universal.categories) u(category)
          WHERE u.category NOT IN (SELECT category FROM cells)
          UNION ALL
          SELECT p.code, p.category, s.origin FROM partial_pairs p JOIN scoped s USING (code)
          WHERE p.category NOT IN (SELECT category FROM cells)) w
    CROSS JOIN LATERAL (
        SELECT c.* FROM (
            (SELECT p.id, p.name, p.category, ST_Distance(p.geom_27700, w.origin) AS d
             FROM places p  -- "IS TRUE" keeps the IN a hashed filter on the walk, not a join
             WHERE (p.id IN (SELECT id FROM open_all)) IS TRUE AND p.category = w.category
             ORDER BY p.geom_27700 <-> w.origin LIMIT 1)
            UNION ALL
            SELECT o.id, o.name, o.category, ST_Distance(o.geom, w.origin) FROM opened o
            WHERE o.category = w.category) c
        ORDER BY c.d, c.id LIMIT 1) k
    ORDER BY w.code, k.d, k.id
),
open_places AS (  -- the open places that can reach a scoped small area lie in this box
    SELECT * FROM open_all WHERE geom && (SELECT ST_Expand(box, m) FROM scope_box, reach)
),
pairs AS MATERIALIZED (  -- every small area (scoped or not: all are demand) within reach of a place
    SELECT a.code, a.population, p.id, p.category, d.d,
           coalesce((CAST(:step_w AS float8[]))[width_bucket(d.d, CAST(:step_m AS float8[]))
                    + CASE WHEN d.d = (CAST(:step_m AS float8[]))[width_bucket(d.d, CAST(:step_m AS float8[]))]
                           THEN 0 ELSE 1 END], 0) AS w  -- W(d): the weight of the first step with d ≤ m
    FROM open_places p
    JOIN analysis_small_areas a ON ST_DWithin(a.origin, p.geom, (SELECT m FROM reach))
    CROSS JOIN LATERAL (SELECT ST_Distance(a.origin, p.geom) AS d) d
),
supply AS (  -- each place's supply per resident of its catchment
    SELECT id,
           CAST(1 AS float8) / nullif(sum(population) FILTER (WHERE d <= :catchment_m), 0) AS r_fca2,
           CAST(1 AS float8) / nullif(sum(population * w), 0) AS r_e2sfca
    FROM pairs GROUP BY id
),
scores AS (
    SELECT w.code,
           count(*) FILTER (WHERE w.d <= :radius_m) AS count_within,
           count(*) FILTER (WHERE w.d <= :catchment_m) AS cumulative,
           coalesce(sum(s.r_fca2) FILTER (WHERE w.d <= :catchment_m), 0) AS fca2,
           coalesce(sum(w.w * s.r_e2sfca) FILTER (WHERE w.w > 0), 0) AS e2sfca,
           coalesce(sum(power(greatest(w.d, :gravity_min_m) / :gravity_scale_m, :gravity_alpha))
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
    LEFT JOIN nearest_in_cell c USING (code)
    LEFT JOIN nearest_walked k USING (code)
    -- the nearer of the two (ties: the smaller id); the walk is empty unless a category has no cells
    CROSS JOIN LATERAL (
        SELECT k.id, k.name, k.category, k.d WHERE k.code IS NOT NULL AND (c.code IS NULL OR (k.d, k.id) < (c.d, c.id))
        UNION ALL
        SELECT c.id, c.name, c.category, c.d WHERE NOT (k.code IS NOT NULL AND (c.code IS NULL OR (k.d, k.id) < (c.d, c.id)))
    ) n
    LEFT JOIN scores sc USING (code)
)
