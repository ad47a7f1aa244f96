-- The `grants` collection (app/collections.py, app/routers/grants_layer.py: items and vector
-- tiles): one feature per area of :level (grants_area_years.sql, the same figures as GET /grants)
-- with its grants over :from_year…:to_year, per head per year nominal and real, the grants stated
-- only for a coarser area beside (coarser_gbp) and, with apportion = 'population' (LSOAs), their
-- population share (apportioned_*, flagged apportioned); NULL with coverage_reason where no loaded
-- file covers the area. Geometry: the area's newest loaded boundary, with its stored Web Mercator
-- copies per zoom band (areas.geom_3857_z5 …, which the tiles read).
WITH {{grants_area_years}}
SELECT t.code, a.name, CAST(:level AS text) AS level, t.ltla, t.utla, t.region,
       CAST(t.population AS bigint) AS population, t.covered, t.funders AS covering_funders,
       CASE WHEN t.covered THEN NULL ELSE CAST(:uncovered AS text) END AS coverage_reason,
       CAST(:from_label AS text) AS from_year, CAST(:to_label AS text) AS to_year,
       CAST(t.range_grants AS int) AS grants,
       CAST(t.range_amount_gbp AS float8) AS amount_gbp,
       CAST(t.per_head_per_year_gbp AS float8) AS per_head_per_year_gbp,
       CAST(:prices_of AS text) AS prices_of,
       CAST(t.range_real_amount_gbp AS float8) AS real_amount_gbp,
       CAST(t.real_per_head_per_year_gbp AS float8) AS real_per_head_per_year_gbp,
       CAST(t.range_coarser_gbp AS float8) AS coarser_gbp,
       CAST(:apportion AS text) IS NOT NULL AS apportioned,
       CAST(t.range_apportioned_gbp AS float8) AS apportioned_gbp,
       CAST(t.apportioned_per_head_per_year_gbp AS float8) AS apportioned_per_head_per_year_gbp,
       a.geom, a.geom_27700, a.geom_3857_z5, a.geom_3857_z7, a.geom_3857_z9, a.geom_3857
FROM area_totals t
LEFT JOIN LATERAL (
    SELECT name, geom, geom_27700, geom_3857_z5, geom_3857_z7, geom_3857_z9, geom_3857 FROM areas
    WHERE level = CAST(:level AS text) AND code = t.code ORDER BY vintage DESC LIMIT 1
) a ON true
