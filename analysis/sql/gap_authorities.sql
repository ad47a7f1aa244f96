-- The gap index per comparable unit (2023 upper-tier authorities; split or merged ones together):
-- need, access and loss are the population-weighted means of its small areas' parts, spending is
-- the unit's own; ranked (1 = the largest gap), with the evidence per category (`by_category`:
-- the population-weighted access part, residents with no place of it within the radius, the
-- median nearest distance, and the distinct places of it within the radius of the unit's
-- residents per 1,000 of them) and the 2023 boundaries as GeoJSON text. Only the small areas where
-- some category asked is known count (coverage: the others are not_covered, not gaps), and a
-- category's evidence only those where it is known (`residents_covered`; NULLs where it is known in
-- none); `categories_counted` are those counted in any of them, `small_areas` how many counted.
WITH {{gap_selection}},
{{access_ctes}},
{{gap_parts}},
known_parts AS (SELECT * FROM parts WHERE counted IS NOT NULL),
-- The median distance of residents to the nearest place, as summary.sql defines it (the one
-- definition every endpoint shows): the smallest distance within which at least half of the
-- unit's residents live.
nearer AS (
    SELECT coalesce(unit, utla) AS unit, nearest_m,
           sum(population) OVER (PARTITION BY coalesce(unit, utla) ORDER BY nearest_m NULLS LAST, code) AS nearer,
           sum(population) OVER (PARTITION BY coalesce(unit, utla)) AS total
    FROM known_parts
),
median AS (
    SELECT unit, round(CAST(min(nearest_m) FILTER (WHERE nearer >= 0.5 * total) AS numeric), 1) AS median_nearest_m
    FROM nearer GROUP BY unit
),
rolled AS (
    SELECT coalesce(unit, utla) AS unit, array_agg(DISTINCT utla) AS utlas,
           sum(population) AS population, count(*) AS small_areas,
           sum(population * need_part) / nullif(sum(population) FILTER (WHERE need_part IS NOT NULL), 0) AS need_part,
           sum(population * access_part) / nullif(sum(population), 0) AS access_part,
           sum(population * access_any_part) / nullif(sum(population), 0) AS access_any_part,
           sum(population * loss_part) / nullif(sum(population), 0) AS loss_part,
           max(spending_part) AS spending_part, max(real_change_pct) AS real_change_pct,
           max(base_real_per_head) AS base_real_per_head, max(real_per_head) AS real_per_head,
           max(spending_basis) AS spending_basis, max(spending_from) AS spending_from,
           max(spending_to) AS spending_to,
           coalesce(sum(population) FILTER (WHERE within_now = 0), 0) AS residents_without_place,
           coalesce(sum(population) FILTER (WHERE before > 0 AND now = 0), 0) AS residents_lost_every_place,
           sum(population * least(coalesce(nearest_m, :access_cap_m), :access_cap_m))
               / nullif(sum(population), 0) AS mean_capped_nearest_m,
           coalesce(sum(population) FILTER (WHERE lost > 0), 0) AS residents_losing_some,
           sum(population * before) / nullif(sum(population), 0) AS mean_places_before,
           count(*) FILTER (WHERE imd_decile = 1) AS small_areas_most_deprived_decile,
           ARRAY(SELECT DISTINCT c FROM unnest(string_to_array(string_agg(array_to_string(counted, ','), ','), ',')) c
                 ORDER BY c) AS counted,
           ARRAY(SELECT DISTINCT c FROM unnest(string_to_array(string_agg(array_to_string(loss_categories, ','), ','), ',')) c
                 WHERE c <> '' ORDER BY c) AS loss_categories
    FROM known_parts GROUP BY coalesce(unit, utla)
),
graded AS (
    SELECT r.*, m.median_nearest_m FROM rolled r JOIN median m USING (unit)
),
{{gap_score}},
unit_of AS (SELECT code, coalesce(unit, utla) AS unit, population FROM known_parts),
category_units AS (
    SELECT u.unit, c.category, max(c.position) AS position, max(c.weight) AS weight,
           sum(u.population * c.part) FILTER (WHERE c.known)
               / nullif(sum(u.population) FILTER (WHERE c.known), 0) AS access_part,
           coalesce(sum(u.population) FILTER (WHERE c.known), 0) AS residents_covered,
           CASE WHEN bool_or(c.known) THEN coalesce(sum(u.population) FILTER (WHERE c.known AND c.count_within = 0), 0)
                END AS residents_without,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY c.nearest_m) AS median_nearest_m
    FROM category_parts c JOIN unit_of u USING (code)
    GROUP BY u.unit, c.category
),
category_unit_places AS (  -- distinct places of each category within the radius of the unit's origins
    SELECT u.unit, w.category, count(DISTINCT w.id) AS places
    FROM pairs w JOIN unit_of u USING (code)
    JOIN category_parts k ON k.code = w.code AND k.category = w.category AND k.known  -- known there
    WHERE w.d <= :radius_m
    GROUP BY u.unit, w.category
),
by_category AS (
    SELECT c.unit, json_object_agg(c.category, json_build_object(
               'weight', c.weight, 'access_part', round(CAST(c.access_part AS numeric), 4),
               'residents_covered', c.residents_covered, 'residents_without', c.residents_without,
               'median_nearest_m', round(CAST(c.median_nearest_m AS numeric), 1),
               'places_within', CASE WHEN c.residents_covered > 0 THEN coalesce(p.places, 0) END,
               'per_1000', round(CAST(1000.0 * coalesce(p.places, 0) / nullif(c.residents_covered, 0) AS numeric), 3))
               ORDER BY c.position)::text AS by_category
    FROM category_units c
    LEFT JOIN category_unit_places p USING (unit, category)
    GROUP BY c.unit
)
SELECT s.*, s.counted AS categories_counted, b.by_category, rank() OVER (ORDER BY s.gap_score DESC NULLS LAST) AS rank,
       (SELECT ST_AsGeoJSON(ST_Union(a.geom), 6) FROM areas a
        WHERE a.level = 'utla' AND a.vintage = '2023-12' AND a.code = ANY(s.utlas)) AS geometry
FROM scored s
LEFT JOIN by_category b USING (unit)
ORDER BY rank, s.unit
LIMIT :limit
