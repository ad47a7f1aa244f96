-- What one 360Giving file covers, per funder in it (docs/analysis/grants.md "Coverage"):
--   --coverage codes (:claimed) when given;
--   else a council funder (a local-authority org-id, GB-LA…) whose name, as given or less
--   "… Council", is the name of a 2023 authority in the loaded authority codes (mySociety's
--   official name, or the name a revenue workbook printed): its own authority;
--   else the 2023 LTLAs (UTLAs for county-level grants) its grants' beneficiary locations name.
WITH funders AS (SELECT DISTINCT funder_id, funder_name FROM grant_places),
council AS (
    SELECT DISTINCT f.funder_id, h.code AS area_code
    FROM funders f
    JOIN authority_codes a ON lower(a.name) IN (lower(trim(f.funder_name)), lower(trim(regexp_replace(
        f.funder_name,
        '^(the\s+)?((royal|london)\s+borough\s+of\s+|city\s+of\s+)?|\s+((metropolitan\s+)?(borough|city|county|district)\s+)?council$',
        '', 'gi'))))
    JOIN area_hierarchy h ON h.code = a.gss_code AND h.vintage = '2023-12' AND h.level IN ('ltla', 'utla')
    WHERE f.funder_id LIKE 'GB-LA%'
),
declared AS (
    SELECT DISTINCT funder_id, coalesce(ltla, utla) AS area_code FROM grant_places
    WHERE located_by = 'beneficiary' AND coalesce(ltla, utla) IS NOT NULL
)
SELECT DISTINCT funder_id, area_code, basis FROM (
    SELECT f.funder_id, unnest(CAST(:claimed AS text[])) AS area_code, 'option' AS basis
    FROM funders f WHERE CAST(:claimed AS text[]) IS NOT NULL
    UNION ALL
    SELECT funder_id, area_code, 'council' FROM council WHERE CAST(:claimed AS text[]) IS NULL
    UNION ALL
    SELECT funder_id, area_code, 'declared' FROM declared
    WHERE CAST(:claimed AS text[]) IS NULL AND funder_id NOT IN (SELECT funder_id FROM council)
) c
ORDER BY funder_id, area_code
