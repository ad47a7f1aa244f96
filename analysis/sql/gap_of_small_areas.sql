-- The gap score object of each small area in `measured` (access_ctes.sql, which gaps.sql puts
-- before this file), for the features of GET /gaps: rows (code text, gap jsonb), from the gap
-- index (gap_parts.sql, gap_score.sql; see docs/analysis/gap-index.md) with its parameters bound
-- by analysis.gap_index.score_parameters. `access` is the weighted mean of the categories' access
-- parts (`access_by_category`), `access_any` that of the nearest place of any of them.
{{gap_parts}},
graded AS (SELECT * FROM parts),
{{gap_score}},
access_by_category AS (
    SELECT code, jsonb_object_agg(category, round(CAST(part AS numeric), 4)) AS parts
    FROM category_parts GROUP BY code
),
gap AS (
    SELECT s.code, jsonb_build_object(
        'score', round(CAST(s.gap_score AS numeric), 4), 'driver', s.driver,
        'need', round(CAST(s.need_part AS numeric), 4), 'access', round(CAST(s.access_part AS numeric), 4),
        'access_any', round(CAST(s.access_any_part AS numeric), 4), 'access_by_category', c.parts,
        'loss', round(CAST(s.loss_part AS numeric), 4), 'spending', round(CAST(s.spending_part AS numeric), 4),
        'loss_from', CAST(:loss_from AS int), 'places_before', s.before, 'places_lost', s.lost,
        'spending_real_change_pct', round(CAST(s.real_change_pct AS numeric), 1),
        'spending_basis', s.spending_basis,
        'categories_counted', s.counted, 'loss_categories', s.loss_categories) AS gap
    FROM scored s LEFT JOIN access_by_category c USING (code)
    WHERE s.counted IS NOT NULL  -- not_covered: no gap object
)
