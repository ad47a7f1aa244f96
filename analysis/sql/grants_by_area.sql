-- Grants per area and financial year for GET /grants (analysis/grants.py): one row per area and
-- year of :from_year…:to_year with the area's range totals (grants_area_years.sql).
WITH {{grants_area_years}}
SELECT y.*, t.range_amount_gbp, t.per_head_per_year_gbp, t.real_per_head_per_year_gbp
FROM area_years y JOIN area_totals t USING (code)
ORDER BY y.code, y.fy
