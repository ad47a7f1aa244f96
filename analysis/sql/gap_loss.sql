-- The loss part per small area of the selection at one radius (loss_ctes.sql, the definition
-- gap_parts.sql uses), for the sensitivity analysis's other radii.
WITH {{gap_selection}},
{{loss_statuses}},
loss_origins AS (SELECT code, origin FROM scoped),
{{loss_ctes}}
SELECT code, CASE WHEN before > 0 THEN lost::float8 / before ELSE 0 END AS loss_part
FROM held
ORDER BY code
