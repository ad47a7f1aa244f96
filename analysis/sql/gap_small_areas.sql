-- The gap index per small area of the selection, ranked (1 = the largest gap), with its parts,
-- the evidence behind each and its boundary (or origin point) as GeoJSON text. Only small areas
-- where some category asked is known are ranked (the others are not_covered, not gaps);
-- `categories_counted` / `loss_categories` say which categories counted for access and loss.
WITH {{gap_selection}},
{{access_ctes}},
{{gap_parts}},
graded AS (SELECT * FROM parts),
{{gap_score}}
SELECT s.code, s.vintage, s.name, s.population, s.ltla, s.utla, s.region, s.unit,
       s.imd_rank, s.imd_decile, s.nearest_id, s.nearest_name, s.nearest_category,
       s.nearest_m, s.within_now, s.before, s.lost, s.real_change_pct,
       s.spending_basis, s.spending_from, s.spending_to,
       s.need_part, s.access_part, s.loss_part, s.spending_part, s.gap_score, s.driver,
       s.counted AS categories_counted, s.loss_categories,
       rank() OVER (ORDER BY s.gap_score DESC NULLS LAST) AS rank,
       ST_AsGeoJSON(coalesce(a.geom, ST_Transform(s.origin, 4326)), 6) AS geometry
FROM scored s
LEFT JOIN areas a ON a.id = s.area_id
WHERE s.counted IS NOT NULL
ORDER BY rank, s.code
LIMIT :limit
