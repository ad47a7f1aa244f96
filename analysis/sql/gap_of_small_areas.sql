-- The gap score object of each small area in `measured` (access_ctes.sql), for the features of
-- GET /gaps: rows (code text, gap jsonb). The gap index is SPENDING's (issue 7 part 6); until it
-- is spliced in here, no small area has one and the features carry "gap": null.
gap AS (
    SELECT CAST(NULL AS text) AS code, CAST(NULL AS jsonb) AS gap WHERE false
)
