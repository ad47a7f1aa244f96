-- analysis_coverage_extents: each coverage claim's extent as a WGS84 shape for maps (GET /coverage):
-- its own shape, else the union of the newest loaded boundary of each area it names — a country
-- by its 2023 upper-tier authorities (the first letter of their codes) — simplified to 50 m in
-- British National Grid; with the small-area origins inside (analysis_coverage). Refresh step
-- `coverage`, after coverage_small_areas.sql.
INSERT INTO analysis_coverage_extents (coverage_id, geom, small_areas)
WITH named AS (
    SELECT c.id, n.code FROM coverage c CROSS JOIN LATERAL unnest(c.area_codes) n(code)
),
boundaries AS (
    (SELECT DISTINCT ON (n.id, n.code) n.id, a.geom_27700
     FROM named n JOIN areas a ON a.code = n.code
     WHERE n.code !~ '^[EWSNK]92'
     ORDER BY n.id, n.code, a.vintage DESC)
    UNION ALL
    SELECT n.id, a.geom_27700
    FROM named n JOIN areas a ON a.level = 'utla' AND a.vintage = '2023-12' AND left(a.code, 1) = left(n.code, 1)
    WHERE n.code ~ '^[EWSNK]92'
),
shapes AS (
    SELECT c.id, coalesce(c.geom_27700, (SELECT ST_Union(b.geom_27700) FROM boundaries b WHERE b.id = c.id)) AS geom
    FROM coverage c
)
SELECT s.id,
       ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(ST_SimplifyPreserveTopology(s.geom, 50), 4326)), 3)),
       (SELECT count(DISTINCT ac.code) FROM analysis_coverage ac WHERE s.id = ANY(ac.coverage_ids))
FROM shapes s
