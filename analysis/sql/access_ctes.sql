-- The CTEs of access per small area to the places of :categories open in :year (place_years), for the small
-- areas in scope (:scope_code — an LSOA, LTLA, UTLA or region code; :scope_area_id — any loaded
-- area; :scope_geojson — a polygon; all NULL = England). Definitions follow pysal `access`
-- (docs/analysis.md), every place a supply of 1, every small area a demand of its population:
--   count_within  places within :radius_m
--   cumulative    cumulative opportunities: supply within :catchment_m (weighted_catchment)
--   fca2          2SFCA (Luo & Wang): R_j = S_j / Σ_{d_ij ≤ c} P_i;  A_i = Σ_{d_ij ≤ c} R_j
--   e2sfca        enhanced 2SFCA, step weights W (:step_m, :step_w; 0 beyond the last step):
--                 R_j = S_j / Σ_i W(d_ij) P_i;  A_i = Σ_j W(d_ij) R_j
--   gravity       Σ_{d_ij ≤ :gravity_max_m} S_j (max(d_ij, :gravity_min_m) / :gravity_scale_m)^:gravity_alpha
-- What-if: places in :closed_ids are left out, points (:opened_lon, :opened_lat) are added as
-- places with ids -1, -2, … Nothing is written.
scoped AS (
    SELECT s.* FROM analysis_small_areas s
    WHERE (CAST(:scope_code AS text) IS NULL OR :scope_code IN (s.code, s.ltla, s.utla, s.region))
      AND (CAST(:scope_area_id AS bigint) IS NULL
           OR EXISTS (SELECT 1 FROM areas a WHERE a.id = :scope_area_id AND ST_Intersects(a.geom_27700, s.origin)))
      AND (CAST(:scope_geojson AS text) IS NULL
           OR ST_Intersects(ST_Transform(ST_SetSRID(ST_GeomFromGeoJSON(:scope_geojson), 4326), 27700), s.origin))
),
reach AS (  -- the furthest any measure looks
    SELECT greatest(CAST(:radius_m AS float8), :catchment_m, :gravity_max_m,
                    coalesce((SELECT max(m) FROM unnest(CAST(:step_m AS float8[])) m), 0)) AS m
),
bounds AS (  -- places that can reach a scoped small area lie in this box
    SELECT ST_Expand(ST_SetSRID(ST_Extent(origin)::geometry, 27700), (SELECT m FROM reach)) AS box FROM scoped
),
opened AS (
    SELECT -n AS id, 'proposed place ' || n AS name,
           ST_Transform(ST_SetSRID(ST_MakePoint(lon, lat), 4326), 27700) AS geom
    FROM unnest(CAST(:opened_lon AS float8[]), CAST(:opened_lat AS float8[])) WITH ORDINALITY AS o(lon, lat, n)
),
open_places AS MATERIALIZED (
    SELECT p.id, p.name, p.geom_27700 AS geom
    FROM places p
    WHERE p.category = ANY(CAST(:categories AS text[]))
      AND p.geom_27700 && (SELECT box FROM bounds)
      AND p.id <> ALL(CAST(:closed_ids AS bigint[]))
      AND EXISTS (SELECT 1 FROM place_years y WHERE y.place_id = p.id AND y.year = :year AND y.status = 'open')
    UNION ALL
    SELECT id, name, geom FROM opened
),
steps AS (
    SELECT m, w FROM unnest(CAST(:step_m AS float8[]), CAST(:step_w AS float8[])) AS s(m, w)
),
pairs AS MATERIALIZED (  -- every small area (scoped or not: all are demand) within reach of a place
    SELECT a.code, a.population, p.id, ST_Distance(a.origin, p.geom) AS d
    FROM open_places p
    JOIN analysis_small_areas a ON ST_DWithin(a.origin, p.geom, (SELECT m FROM reach))
),
weighted AS (
    SELECT pairs.*,
           coalesce((SELECT w FROM steps WHERE pairs.d <= steps.m ORDER BY steps.m LIMIT 1), 0) AS w
    FROM pairs
),
supply AS (  -- each place's supply per resident of its catchment
    SELECT id,
           CAST(1 AS float8) / nullif(sum(population) FILTER (WHERE d <= :catchment_m), 0) AS r_fca2,
           CAST(1 AS float8) / nullif(sum(population * w), 0) AS r_e2sfca
    FROM weighted GROUP BY id
),
scores AS (
    SELECT w.code,
           count(*) FILTER (WHERE w.d <= :radius_m) AS count_within,
           count(*) FILTER (WHERE w.d <= :catchment_m) AS cumulative,
           coalesce(sum(s.r_fca2) FILTER (WHERE w.d <= :catchment_m), 0) AS fca2,
           coalesce(sum(w.w * s.r_e2sfca) FILTER (WHERE w.w > 0), 0) AS e2sfca,
           coalesce(sum(power(greatest(w.d, :gravity_min_m) / :gravity_scale_m, :gravity_alpha))
                    FILTER (WHERE w.d <= :gravity_max_m), 0) AS gravity
    FROM weighted w JOIN supply s USING (id)
    WHERE w.code IN (SELECT code FROM scoped)
    GROUP BY w.code
),
measured AS (
    SELECT s.code, s.name, s.vintage, s.population, s.imd_rank, s.imd_decile, s.ltla, s.utla, s.region,
           s.area_id, s.origin,
           n.id AS nearest_place_id, n.name AS nearest_place_name, n.d AS nearest_m,
           coalesce(sc.count_within, 0) AS count_within, coalesce(sc.cumulative, 0) AS cumulative,
           coalesce(sc.fca2, 0) AS fca2, coalesce(sc.e2sfca, 0) AS e2sfca, coalesce(sc.gravity, 0) AS gravity
    FROM scoped s
    LEFT JOIN scores sc USING (code)
    LEFT JOIN LATERAL (
        SELECT c.id, c.name, c.d FROM (
            (SELECT p.id, p.name, ST_Distance(p.geom_27700, s.origin) AS d
             FROM places p
             WHERE p.category = ANY(CAST(:categories AS text[]))
               AND p.id <> ALL(CAST(:closed_ids AS bigint[]))
               AND EXISTS (SELECT 1 FROM place_years y WHERE y.place_id = p.id AND y.year = :year AND y.status = 'open')
             ORDER BY p.geom_27700 <-> s.origin LIMIT 1)
            UNION ALL
            SELECT o.id, o.name, ST_Distance(o.geom, s.origin) FROM opened o) c
        ORDER BY c.d, c.id LIMIT 1) n ON true
)
