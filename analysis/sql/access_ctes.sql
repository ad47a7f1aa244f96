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
-- places with ids -1, -2, … Nothing is written.
reach AS (  -- the furthest any measure looks
    SELECT greatest(CAST(:radius_m AS float8), :catchment_m, :gravity_max_m,
                    coalesce((SELECT max(m) FROM unnest(CAST(:step_m AS float8[])) m), 0)) AS m
),
scope_box AS (  -- the box of the scoped origins
    SELECT ST_SetSRID(ST_Extent(origin)::geometry, 27700) AS box FROM scoped
),
opened AS (
    SELECT -n AS id, 'proposed place ' || n AS name, NULL::text AS category,
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
-- Nearest. For a scope of more than :cells_from origins, set-based: the Voronoi cell of each
-- distinct place location, extended over the scoped origins, holds the origins that place is
-- nearest to; each cell finds its place(s) and its origins through the spatial indexes (an
-- origin on a shared edge, or two places at one point, resolve to the smaller distance, then the
-- smaller id; sites within 1 mm snap together, for GEOS's robustness). Otherwise — and for any
-- origin no cell holds (GEOS makes no cell for a single location) — a KNN walk of the places'
-- spatial index per origin (in `measured`).
cells AS MATERIALIZED (
    SELECT (ST_Dump(ST_VoronoiPolygons(ST_Collect(geom), 0.001, (SELECT ST_Expand(box, 1) FROM scope_box)))).geom AS cell
    FROM open_all
    WHERE (SELECT count(*) FROM scoped) > CAST(:cells_from AS int)
),
sites AS MATERIALIZED (
    SELECT c.cell, p.id, p.name, p.category, p.geom_27700 AS geom
    FROM cells c JOIN places p ON ST_Intersects(c.cell, p.geom_27700)
    WHERE c.cell && (SELECT box FROM scope_box) AND p.id IN (SELECT id FROM open_all)
    UNION ALL
    SELECT c.cell, o.id, o.name, o.category, o.geom
    FROM cells c JOIN opened o ON ST_Intersects(c.cell, o.geom)
),
-- nearest_in_cell and scores cover every small area the cells and pairs reach, scoped or not:
-- `measured` keeps the scoped ones (filtering here hashed every scoped code twice, ~50 ms for England).
nearest_in_cell AS (
    SELECT DISTINCT ON (a.code) a.code, s.id, s.name, s.category, ST_Distance(a.origin, s.geom) AS d
    FROM sites s JOIN analysis_small_areas a ON ST_Intersects(s.cell, a.origin)
    ORDER BY a.code, ST_Distance(a.origin, s.geom), s.id
),
open_places AS (  -- the open places that can reach a scoped small area lie in this box
    SELECT * FROM open_all WHERE geom && (SELECT ST_Expand(box, m) FROM scope_box, reach)
),
pairs AS MATERIALIZED (  -- every small area (scoped or not: all are demand) within reach of a place
    SELECT a.code, a.population, p.id, d.d,
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
    GROUP BY w.code
),
measured AS (
    SELECT s.code, s.name, s.vintage, s.population, s.imd_rank, s.imd_decile, s.ltla, s.utla, s.region,
           s.area_id, s.origin,
           coalesce(n.id, k.id) AS nearest_place_id, coalesce(n.name, k.name) AS nearest_place_name,
           coalesce(n.category, k.category) AS nearest_place_category, coalesce(n.d, k.d) AS nearest_m,
           coalesce(sc.count_within, 0) AS count_within, coalesce(sc.cumulative, 0) AS cumulative,
           coalesce(sc.fca2, 0) AS fca2, coalesce(sc.e2sfca, 0) AS e2sfca, coalesce(sc.gravity, 0) AS gravity
    FROM scoped s
    LEFT JOIN nearest_in_cell n USING (code)
    LEFT JOIN LATERAL (  -- the KNN walk, for the origins no cell holds
        SELECT c.* FROM (
            (SELECT p.id, p.name, p.category, ST_Distance(p.geom_27700, s.origin) AS d
             FROM places p  -- "IS TRUE" keeps the IN a hashed filter on the walk, not a join
             WHERE (p.id IN (SELECT id FROM open_all)) IS TRUE
             ORDER BY p.geom_27700 <-> s.origin LIMIT 1)
            UNION ALL
            SELECT o.id, o.name, o.category, ST_Distance(o.geom, s.origin) FROM opened o) c
        WHERE n.code IS NULL
        ORDER BY c.d, c.id LIMIT 1) k ON true
    LEFT JOIN scores sc USING (code)
)
