-- The parts of the gap index (CTE `parts`) for every small area in `measured` — access_ctes.sql,
-- which the including query puts before this file with its `scoped` — each normalised to
-- 0 (no gap) … 1 (the largest gap):
--   need      as chosen (need_ctes.sql); by default 1 - (IMD rank - 1) / (ranks - 1): 1 = the
--             most deprived LSOA in England
--   access    per category c of :categories, min(nearest open place of c in :year / :access_cap_m, 1)
--             (1 also when there is none at all: `category_parts`); the part is their mean weighted
--             by :category_weights. `access_any_part` beside it: the same of the nearest open place
--             of any of the categories (access_ctes.sql's nearest_m) — one category: both equal.
--             Only the categories known there in :year count (coverage: `category_measured.known`);
--             NULL where none of :categories is known (not_covered)
--   loss      of the places within :radius_m m open in :loss_from, the share not open in :year
--             (loss_ctes.sql, the definition /closures uses; 0 when there were none); NULL where
--             none of :categories is known in both years
-- `counted` (the categories access counts) and `loss_categories` say which categories counted.
--   spending  the unit's real public-health cut per head, percent-ranked: stored per 2023 UTLA
--             at refresh (analysis_gap_spending, gap_spending.sql; spending_basis 'budget' where
--             the unit's outturn return is missing, over spending_from … spending_to)
ranks AS (SELECT max(imd_rank) AS n FROM analysis_small_areas),
{{need_ctes}},
{{loss_statuses}},
loss_origins AS (SELECT code, origin FROM scoped),
{{loss_ctes}},
category_parts AS (
    SELECT cm.*, CASE WHEN cm.known THEN least(coalesce(cm.nearest_m, :access_cap_m) / :access_cap_m, 1) END AS part
    FROM category_measured cm
),
weighted_access AS (
    SELECT code, sum(weight * part) FILTER (WHERE known) / nullif(sum(weight) FILTER (WHERE known), 0) AS access_part
    FROM category_parts GROUP BY code
),
parts AS (
    SELECT m.code, m.vintage, m.name, m.population, m.imd_rank, m.imd_decile, m.area_id, m.origin,
           m.ltla, m.utla, m.region, m.nearest_place_id AS nearest_id, m.nearest_place_name AS nearest_name,
           m.nearest_place_category AS nearest_category, m.nearest_m, m.count_within AS within_now,
           m.counted, h.loss_categories, h.before, h.lost, h.now, g.unit, g.base_real_per_head,
           g.real_per_head, g.real_change_pct,
           g.basis AS spending_basis, g.from_year AS spending_from, g.to_year AS spending_to,
           n.need_part,
           wa.access_part,
           CASE WHEN m.counted IS NOT NULL
                THEN least(coalesce(m.nearest_m, :access_cap_m) / :access_cap_m, 1) END AS access_any_part,
           CASE WHEN h.before > 0 THEN h.lost::float8 / h.before WHEN h.before = 0 THEN 0 END AS loss_part,
           g.spending_part
    FROM measured m
    JOIN need_of n USING (code)
    JOIN held h USING (code)
    JOIN weighted_access wa USING (code)
    LEFT JOIN analysis_gap_spending g ON g.code = m.utla
)
