-- The gap index's parts per small area of the selection, without geometry or evidence: what the
-- sensitivity analysis (analysis/sensitivity.py) re-weights and re-aggregates. unit is the
-- comparable unit (gap_authorities.sql groups by the same), nearest_m lets it recompute the
-- access part at another cap.
WITH {{gap_selection}},
{{access_ctes}},
{{gap_parts}}
SELECT code, coalesce(unit, utla) AS unit, population, need_part, nearest_m, loss_part, spending_part
FROM parts
ORDER BY code
