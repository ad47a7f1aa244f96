-- Names of upper-tier authorities, regions and England from their newest loaded boundaries.
SELECT DISTINCT ON (code) code, name
FROM areas WHERE level IN ('utla', 'region', 'country') AND code = ANY(CAST(:codes AS text[]))
ORDER BY code, vintage DESC
