-- The gap index per comparable unit (2023 upper-tier authorities; split or merged ones together):
-- need, access and loss are the population-weighted means of its small areas' parts, spending is
-- the unit's own; ranked (1 = the largest gap), with the 2023 boundaries as GeoJSON text. Only the
-- small areas where some category asked is known count (coverage: the others are not_covered, not
-- gaps); `categories_counted` are those counted in any of them, `small_areas` how many counted.
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
{{gap_score}}
SELECT s.*, s.counted AS categories_counted, rank() OVER (ORDER BY s.gap_score DESC NULLS LAST) AS rank,
       (SELECT ST_AsGeoJSON(ST_Union(a.geom), 6) FROM areas a
        WHERE a.level = 'utla' AND a.vintage = '2023-12' AND a.code = ANY(s.utlas)) AS geometry
FROM scored s
ORDER BY rank, s.unit
LIMIT :limit
