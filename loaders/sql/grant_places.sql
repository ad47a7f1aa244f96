-- Where each grant of one 360Giving file lands (loaders/grants_360giving.py; docs/analysis/grants.md).
-- Inputs: {grants} (one staged row per grant) and {locations} (each geographic code it states, with
-- its role: beneficiary, or the recipient organisation's own location). Output: grant_places (the
-- grants' rows with where they land) and grant_unmatched (codes no loaded area or lookup knows).
-- Rules:
--   a code is carried to today's area: an LSOA 2011 code to its published LSOA 2021 successor;
--   an authority code to itself when it is a 2023 LTLA/UTLA, else to its published successor
--   (LADCD -> LADCD_ACTIVE); a ward through a loaded ward -> LTLA lookup; regions and England as
--   they are. Anything else (MSOA, constituency, an unknown ward…) is unmatched.
--   beneficiary codes win over the recipient's (the "headquarters effect"); of the winning role,
--   the finest level stated; several areas at that level land on the smallest area holding all of
--   them (their LTLA, UTLA or region) — never on one of them. No code resolved: the recipient's
--   postcode sector, flagged like a recipient location code as the recipient's address only.
-- Statements are separated by a semicolon at the end of a line.

DROP TABLE IF EXISTS grant_codes, grant_unmatched, grant_chosen, grant_places;

CREATE TEMP TABLE grant_codes ON COMMIT DROP AS
WITH codes AS (SELECT DISTINCT code FROM {locations}),
lsoa AS (
    SELECT c.code, coalesce(now.code, successor.parent_code) AS now
    FROM codes c
    LEFT JOIN area_hierarchy now ON now.level = 'lsoa' AND now.vintage = '2021-12' AND now.code = c.code
    LEFT JOIN LATERAL (
        SELECT l.parent_code FROM area_lookups l
        WHERE l.code = c.code AND l.level = 'lsoa' AND l.parent_level = 'lsoa' AND l.vintage = '2011-12'
        ORDER BY l.parent_code LIMIT 1) successor ON true
    WHERE c.code ~ '^[EW]01'
),
authority AS (
    SELECT c.code, coalesce(
        (SELECT h.code FROM area_hierarchy h WHERE h.code = c.code AND h.vintage = '2023-12'
         AND h.level IN ('ltla', 'utla') LIMIT 1),
        (SELECT l.parent_code FROM area_lookups l
         JOIN area_hierarchy h ON h.code = l.parent_code AND h.vintage = '2023-12' AND h.level = l.level
         WHERE l.code = c.code AND l.parent_level = l.level AND l.level IN ('ltla', 'utla')
         ORDER BY l.parent_code LIMIT 1)) AS now
    FROM codes c WHERE c.code ~ '^[EWSN](06|07|08|09|10)'
),
ward AS (
    SELECT c.code, l.parent_code AS ltla
    FROM codes c
    JOIN LATERAL (SELECT parent_code FROM area_lookups WHERE code = c.code AND level = 'ward'
                  AND parent_level = 'ltla' ORDER BY parent_code DESC LIMIT 1) l ON true
    WHERE c.code ~ '^[EW]05'
)
SELECT l.code, h.code AS area_code, 'lsoa' AS area_level, 1 AS fineness, h.ltla, h.utla, h.region
FROM lsoa l JOIN area_hierarchy h ON h.level = 'lsoa' AND h.vintage = '2021-12' AND h.code = l.now
UNION ALL
SELECT w.code, w.code, 'ward', 2, h.ltla, h.utla, h.region
FROM ward w JOIN area_hierarchy h ON h.level = 'ltla' AND h.vintage = '2023-12' AND h.code = w.ltla
UNION ALL
(SELECT DISTINCT ON (a.code) a.code, h.code, h.level, CASE h.level WHEN 'ltla' THEN 3 ELSE 4 END,
        h.ltla, h.utla, h.region
 FROM authority a JOIN area_hierarchy h ON h.code = a.now AND h.vintage = '2023-12'
 ORDER BY a.code, h.level)  -- a unitary (both tiers) lands as an LTLA
UNION ALL
SELECT DISTINCT c.code, c.code, 'region', 5, NULL, NULL, c.code
FROM codes c JOIN areas a ON a.code = c.code AND a.level = 'region'
UNION ALL
SELECT c.code, c.code, 'country', 6, NULL, NULL, NULL FROM codes c WHERE c.code = 'E92000001';

ANALYZE grant_codes;

CREATE TEMP TABLE grant_unmatched ON COMMIT DROP AS
SELECT l.identifier, l.code FROM {locations} l
WHERE NOT EXISTS (SELECT 1 FROM grant_codes r WHERE r.code = l.code);

CREATE TEMP TABLE grant_chosen ON COMMIT DROP AS
WITH stated AS (
    SELECT l.identifier, l.role, l.code, r.area_code, r.area_level, r.fineness, r.ltla, r.utla, r.region
    FROM {locations} l JOIN grant_codes r ON r.code = l.code
),
winning AS (  -- 'beneficiary' sorts before 'recipient_code'
    SELECT s.*, min(s.role) OVER (PARTITION BY s.identifier) AS won FROM stated s
),
finest AS (
    SELECT * FROM (SELECT w.*, min(w.fineness) OVER (PARTITION BY w.identifier) AS best
                   FROM winning w WHERE w.role = w.won) x
    WHERE fineness = best
),
together AS (
    SELECT identifier, min(role) AS role, count(DISTINCT area_code) AS areas,
           min(area_code) AS area_code, min(area_level) AS area_level,
           CASE WHEN count(DISTINCT ltla) = 1 AND count(ltla) = count(*) THEN min(ltla) END AS ltla,
           CASE WHEN count(DISTINCT utla) = 1 AND count(utla) = count(*) THEN min(utla) END AS utla,
           CASE WHEN count(DISTINCT region) = 1 AND count(region) = count(*) THEN min(region) END AS region
    FROM finest GROUP BY identifier
)
SELECT identifier, role AS located_by, ltla, utla, region,
       CASE WHEN areas = 1 THEN area_code ELSE coalesce(ltla, utla, region) END AS area_code,
       CASE WHEN areas = 1 THEN area_level WHEN ltla IS NOT NULL THEN 'ltla'
            WHEN utla IS NOT NULL THEN 'utla' WHEN region IS NOT NULL THEN 'region' END AS area_level
FROM together;

CREATE TEMP TABLE grant_places ON COMMIT DROP AS
SELECT g.identifier, g.title, g.description, g.currency, g.amount_awarded, g.award_date, g.funder_id,
       g.funder_name, g.programme_code, g.programme_title, g.recipient_id, g.recipient_name,
       g.recipient_charity_number, g.recipient_company_number, g.recipient_postcode, g.beneficiary_name,
       CASE WHEN c.area_code IS NOT NULL THEN c.area_code ELSE g.recipient_sector END AS area_code,
       CASE WHEN c.area_code IS NOT NULL THEN c.area_level
            WHEN g.recipient_sector IS NOT NULL THEN 'postcode_sector' END AS area_level,
       CASE WHEN c.area_code IS NOT NULL THEN c.located_by
            WHEN g.recipient_sector IS NOT NULL THEN 'recipient_postcode' END AS located_by,
       coalesce(c.area_code IS NOT NULL AND c.located_by = 'recipient_code'
                OR c.area_code IS NULL AND g.recipient_sector IS NOT NULL, false) AS recipient_address_only,
       c.ltla, c.utla, c.region,
       stated.beneficiary_code, stated.beneficiary_code_type, stated.recipient_code
FROM {grants} g
LEFT JOIN grant_chosen c ON c.identifier = g.identifier
LEFT JOIN (
    SELECT identifier,
           string_agg(DISTINCT code, ' ') FILTER (WHERE role = 'beneficiary') AS beneficiary_code,
           string_agg(DISTINCT code_type, ' ') FILTER (WHERE role = 'beneficiary') AS beneficiary_code_type,
           string_agg(DISTINCT code, ' ') FILTER (WHERE role = 'recipient_code') AS recipient_code
    FROM {locations} GROUP BY identifier
) stated ON stated.identifier = g.identifier;

CREATE INDEX ON grant_places (identifier);
ANALYZE grant_places;
