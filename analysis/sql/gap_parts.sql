-- The parts of the gap index for every small area in `gap_areas` (rows of analysis_small_areas,
-- a CTE the including query defines), each normalised to 0 (no gap) … 1 (the largest gap):
--   need      1 - (IMD rank - 1) / (ranks - 1): 1 = the most deprived LSOA in England
--   access    nearest open place of :categories in :year, as min(distance / :access_cap_m, 1)
--             (1 also when there is none at all)
--   loss      of the places within :radius_m m open in :loss_from, the share not open in :year
--             (0 when there were none)
--   spending  the unit's real public-health cut per head (spending_cut.sql), percent-ranked
-- Places count as open in a year by place_years (their resolved status history).
WITH {{spending_units}},
cut AS (
{{spending_cut}}
),
ranks AS (SELECT max(imd_rank) AS n FROM analysis_small_areas),
-- Places straight from their table (not a CTE) so the spatial index serves KNN and ST_DWithin;
-- each candidate's status is looked up by place_years' key, so no plan scans place_years whole.
measured AS (
    SELECT s.code, s.vintage, s.name, s.population, s.imd_rank, s.imd_decile, s.area_id, s.origin,
           s.ltla, s.utla, s.region, n.id AS nearest_id, n.name AS nearest_name,
           n.category AS nearest_category, n.distance AS nearest_m, w.within_now, w.before, w.lost
    FROM gap_areas s
    LEFT JOIN LATERAL (
        SELECT p.id, p.name, p.category, p.geom_27700 <-> s.origin AS distance
        FROM places p
        WHERE p.category = ANY(CAST(:categories AS text[]))
          AND EXISTS (SELECT 1 FROM place_years y
                      WHERE y.place_id = p.id AND y.year = :year AND y.status = 'open')
        ORDER BY p.geom_27700 <-> s.origin LIMIT 1) n ON true
    CROSS JOIN LATERAL (
        SELECT count(*) FILTER (WHERE w.now = 'open') AS within_now,
               count(*) FILTER (WHERE w.before = 'open') AS before,
               count(*) FILTER (WHERE w.before = 'open' AND w.now IS DISTINCT FROM 'open') AS lost
        FROM (SELECT (SELECT y.status FROM place_years y WHERE y.place_id = p.id AND y.year = :year) AS now,
                     (SELECT y.status FROM place_years y WHERE y.place_id = p.id AND y.year = :loss_from) AS before
              FROM places p
              WHERE p.category = ANY(CAST(:categories AS text[]))
                AND ST_DWithin(p.geom_27700, s.origin, :radius_m)) w) w
)
SELECT m.*, u.unit, c.base_real_per_head, c.real_per_head, c.real_change_pct,
       1 - (m.imd_rank - 1)::float8 / greatest(r.n - 1, 1) AS need_part,
       least(coalesce(m.nearest_m, :access_cap_m) / :access_cap_m, 1) AS access_part,
       CASE WHEN m.before > 0 THEN m.lost::float8 / m.before ELSE 0 END AS loss_part,
       c.spending_part
FROM measured m CROSS JOIN ranks r
LEFT JOIN unit_of u ON u.code = m.utla
LEFT JOIN cut c ON c.unit = u.unit
