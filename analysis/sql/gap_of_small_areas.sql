-- The gap score object of each small area in `measured` (access_ctes.sql, which gaps.sql puts
-- before this file), for the features of GET /gaps: rows (code text, gap jsonb), from the gap
-- index (gap_parts.sql, gap_score.sql; see docs/analysis/gap-index.md) with its parameters bound
-- by analysis.gap_index.score_parameters.
{{gap_parts}},
graded AS (SELECT * FROM parts),
{{gap_score}},
gap AS (
    SELECT code, jsonb_build_object(
        'score', round(CAST(gap_score AS numeric), 4), 'driver', driver,
        'need', round(CAST(need_part AS numeric), 4), 'access', round(CAST(access_part AS numeric), 4),
        'loss', round(CAST(loss_part AS numeric), 4), 'spending', round(CAST(spending_part AS numeric), 4),
        'loss_from', CAST(:loss_from AS int), 'places_before', before, 'places_lost', lost,
        'spending_real_change_pct', round(CAST(real_change_pct AS numeric), 1),
        'spending_basis', spending_basis,
        'categories_counted', counted, 'loss_categories', loss_categories) AS gap
    FROM scored WHERE counted IS NOT NULL  -- not_covered: no gap object
)
