-- The small-area base: one origin per LSOA, rebuilt from what the loaders store (docs/analysis.md).
--
-- England-wide the origins are the 2011 LSOAs that carry IMD (:imd_period), at their ONS
-- population-weighted centroids. The mid-year population (:population_period) is published by
-- 2021 LSOA; it is carried to 2011 codes through the stored LSOA11→LSOA21 lookup (ONS best fit:
-- each 2011 LSOA names one 2021 LSOA):
--   * unchanged and merged: a 2021 LSOA's residents are shared equally, in whole people, among
--     the 2011 LSOAs that name it (the remainder one each to the first by code);
--   * split: a 2021 LSOA that no 2011 LSOA names is a further part of a split 2011 LSOA — it goes
--     to the split 2011 LSOA of the same upper-tier authority whose best-fit 2021 code is nearest
--     to its own (ONS numbers the parts of a split consecutively); failing a split, the nearest
--     code of the authority.
-- Every resident is counted once, so England's and every upper-tier authority's totals are exact.
--
-- Where LSOA boundaries are loaded (areas level 'lsoa', any vintage), those LSOAs are the origins
-- instead, and the 2011 LSOAs they replace (same code, linked by the lookup, or whose centroid falls
-- inside) are left out. Their origin is a loaded population-weighted centroid of the same code that
-- lies inside the boundary, otherwise the boundary's point on surface in EPSG:27700; their IMD is
-- their 2011 LSOAs' (the decile of the mean rank when several merged).
INSERT INTO analysis_small_areas (code, vintage, name, population, imd_rank, imd_decile,
                                  origin_kind, area_id, origin, ltla, utla, region)
WITH
population21 AS (
    SELECT area_code AS lsoa21, round(value)::bigint AS population
    FROM indicators
    WHERE indicator = 'population' AND period = :population_period AND area_code LIKE 'E01%'
),
imd AS (
    SELECT area_code AS lsoa11,
           max(value) FILTER (WHERE indicator = 'imd_rank')::int AS imd_rank,
           max(value) FILTER (WHERE indicator = 'imd_decile')::int AS imd_decile
    FROM indicators
    WHERE indicator IN ('imd_rank', 'imd_decile') AND period = :imd_period AND area_code LIKE 'E01%'
    GROUP BY area_code
),
imd_count AS (SELECT count(*) AS n FROM imd),
best_fit AS (
    SELECT l.code AS lsoa11, l.parent_code AS lsoa21
    FROM area_lookups l JOIN imd ON imd.lsoa11 = l.code
    WHERE l.level = 'lsoa' AND l.parent_level = 'lsoa'
),
utla21 AS (  -- with the MSOA part of the 2021 name ("Trafford 025A" → "Trafford 025")
    SELECT code AS lsoa21, min(parent_code) AS utla,
           regexp_replace(min(name), '[A-Z]$', '') AS msoa
    FROM area_lookups WHERE level = 'lsoa' AND parent_level = 'utla'
    GROUP BY code
),
candidates AS (  -- 2011 LSOAs that may own a 2021 LSOA no best fit names
    SELECT b.lsoa11, b.lsoa21, u.utla, u.msoa,
           b.lsoa11 <> b.lsoa21 AND count(*) OVER (PARTITION BY b.lsoa21) = 1 AS split
    FROM best_fit b JOIN utla21 u USING (lsoa21)
),
unnamed AS (  -- 2021 LSOAs no best fit names: further parts of split 2011 LSOAs
    SELECT p.lsoa21, u.utla, u.msoa
    FROM population21 p JOIN utla21 u USING (lsoa21)
    WHERE NOT EXISTS (SELECT 1 FROM best_fit b WHERE b.lsoa21 = p.lsoa21)
),
split_parts AS (
    SELECT DISTINCT ON (n.lsoa21) n.lsoa21, c.lsoa11
    FROM unnamed n JOIN candidates c ON c.utla = n.utla AND c.split
    ORDER BY n.lsoa21, c.msoa IS NOT DISTINCT FROM n.msoa DESC, abs(substr(c.lsoa21, 2)::bigint - substr(n.lsoa21, 2)::bigint), c.lsoa21
),
other_parts AS (  -- in an authority without a split 2011 LSOA: the nearest code of the authority
    SELECT DISTINCT ON (n.lsoa21) n.lsoa21, c.lsoa11
    FROM unnamed n JOIN candidates c ON c.utla = n.utla
    WHERE NOT EXISTS (SELECT 1 FROM split_parts s WHERE s.lsoa21 = n.lsoa21)
    ORDER BY n.lsoa21, abs(substr(c.lsoa21, 2)::bigint - substr(n.lsoa21, 2)::bigint), c.lsoa21
),
links AS (
    SELECT lsoa11, lsoa21 FROM best_fit
    UNION ALL
    SELECT lsoa11, lsoa21 FROM split_parts
    UNION ALL
    SELECT lsoa11, lsoa21 FROM other_parts
),
shares AS (
    SELECT l.lsoa11, l.lsoa21,
           p.population / l.n + CASE WHEN l.k <= p.population % l.n THEN 1 ELSE 0 END AS population
    FROM (SELECT lsoa11, lsoa21, count(*) OVER (PARTITION BY lsoa21) AS n,
                 row_number() OVER (PARTITION BY lsoa21 ORDER BY lsoa11) AS k
          FROM links) l
    JOIN population21 p USING (lsoa21)
),
population11 AS (SELECT lsoa11, sum(population)::bigint AS population FROM shares GROUP BY lsoa11),
centroid AS (
    SELECT DISTINCT ON (code) code, name, geom_27700
    FROM centroids WHERE kind = 'population_weighted'
    ORDER BY code, vintage DESC
),
boundary AS (  -- loaded LSOA boundaries, the newest vintage of each code
    SELECT DISTINCT ON (code) id, code, name, vintage, geom_27700
    FROM areas WHERE level = 'lsoa' AND code LIKE 'E01%'
    ORDER BY code, vintage DESC
),
boundary_imd AS (
    SELECT b.code, CASE WHEN count(*) = 1 THEN min(i.imd_decile) END AS single_decile,
           round(avg(i.imd_rank))::int AS imd_rank
    FROM boundary b
    JOIN links l ON l.lsoa21 = b.code
    JOIN imd i ON i.lsoa11 = l.lsoa11
    GROUP BY b.code
),
boundary_origins AS (
    SELECT b.code, b.vintage, b.name, coalesce(p21.population, p11.population) AS population,
           coalesce(bi.imd_rank, i.imd_rank) AS imd_rank,
           coalesce(bi.single_decile, i.imd_decile,
                    least(10, ceil(bi.imd_rank * 10.0 / (SELECT n FROM imd_count)))::int) AS imd_decile,
           CASE WHEN c.code IS NULL THEN 'point_on_surface' ELSE 'population_weighted' END AS origin_kind,
           b.id AS area_id,
           coalesce(c.geom_27700, ST_PointOnSurface(b.geom_27700)) AS origin
    FROM boundary b
    LEFT JOIN boundary_imd bi USING (code)
    LEFT JOIN imd i ON i.lsoa11 = b.code AND bi.code IS NULL
    LEFT JOIN centroid c ON c.code = b.code AND ST_Intersects(c.geom_27700, b.geom_27700)
    LEFT JOIN population21 p21 ON p21.lsoa21 = b.code
    LEFT JOIN population11 p11 ON p11.lsoa11 = b.code
),
inside_boundary AS (  -- 2011 LSOAs whose centroid lies in a loaded LSOA boundary
    SELECT DISTINCT c.code
    FROM boundary b JOIN centroids c ON c.kind = 'population_weighted'
                                    AND ST_Intersects(b.geom_27700, c.geom_27700)
),
lsoa11_origins AS (
    SELECT i.lsoa11 AS code, '2011-12' AS vintage, c.name, p.population, i.imd_rank, i.imd_decile,
           'population_weighted' AS origin_kind, NULL::bigint AS area_id, c.geom_27700 AS origin
    FROM imd i
    JOIN centroid c ON c.code = i.lsoa11
    LEFT JOIN population11 p USING (lsoa11)
    WHERE NOT EXISTS (SELECT 1 FROM boundary b WHERE b.code = i.lsoa11)
      AND NOT EXISTS (SELECT 1 FROM links l JOIN boundary b ON b.code = l.lsoa21 WHERE l.lsoa11 = i.lsoa11)
      AND NOT EXISTS (SELECT 1 FROM inside_boundary ib WHERE ib.code = i.lsoa11)
),
origins AS (
    SELECT * FROM boundary_origins
    UNION ALL
    SELECT * FROM lsoa11_origins
)
SELECT o.code, o.vintage, o.name, o.population, o.imd_rank, o.imd_decile, o.origin_kind, o.area_id,
       o.origin, h.ltla, h.utla, h.region
FROM origins o
LEFT JOIN area_hierarchy h ON h.level = 'lsoa' AND h.code = o.code AND h.vintage = o.vintage
