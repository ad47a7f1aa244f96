-- analysis_coverage: every coverage claim (models/coverage.py) resolved onto the small-area origins,
-- one row per (category, small area) with the union of the years claimed and the claims. A small
-- area is inside a claim when its origin is in the claimed shape, or the claim names its country
-- (the first letter of its code: E01… is England), its own code, LTLA, UTLA or region, or another
-- loaded area (newest vintage) that holds its origin. Run by the refresh step `coverage`.
INSERT INTO analysis_coverage (category, code, years, coverage_ids)
WITH named AS (  -- each area a claim names, by code
    SELECT c.id, n.code FROM coverage c CROSS JOIN LATERAL unnest(c.area_codes) n(code)
),
named_boundaries AS (  -- those the base does not carry: their loaded boundary, newest vintage
    SELECT DISTINCT ON (n.id, n.code) n.id, a.geom_27700
    FROM named n JOIN areas a ON a.code = n.code
    WHERE n.code !~ '^[EWSNK]92'
      AND NOT EXISTS (SELECT 1 FROM analysis_small_areas s WHERE n.code IN (s.code, s.ltla, s.utla, s.region))
    ORDER BY n.id, n.code, a.vintage DESC
),
inside AS (
    SELECT n.id, s.code FROM named n JOIN analysis_small_areas s
        ON n.code = CASE left(s.code, 1) WHEN 'E' THEN 'E92000001' WHEN 'W' THEN 'W92000004'
                                         WHEN 'S' THEN 'S92000003' WHEN 'N' THEN 'N92000002' END
    UNION
    SELECT n.id, s.code FROM named n JOIN analysis_small_areas s ON n.code IN (s.code, s.ltla, s.utla, s.region)
    UNION
    SELECT b.id, s.code FROM named_boundaries b JOIN analysis_small_areas s ON ST_Intersects(b.geom_27700, s.origin)
    UNION
    SELECT c.id, s.code FROM coverage c JOIN analysis_small_areas s ON ST_Intersects(c.geom_27700, s.origin)
)
SELECT category, i.code, range_agg(int4range(c.first_year, c.last_year, '[]')),
       array_agg(DISTINCT c.id ORDER BY c.id)
FROM inside i JOIN coverage c ON c.id = i.id CROSS JOIN LATERAL unnest(c.categories) category
GROUP BY category, i.code
;
-- and, per category, the years it is known in every small area (code '*'): what an analysis reads
-- first, so a category known everywhere (libraries) needs no per-area check (access_ctes.sql `universal`)
INSERT INTO analysis_coverage (category, code, years, coverage_ids)
SELECT category, '*', range_intersect_agg(years), ARRAY[]::bigint[]
FROM analysis_coverage
GROUP BY category
HAVING count(*) = (SELECT count(*) FROM analysis_small_areas) AND NOT isempty(range_intersect_agg(years))
