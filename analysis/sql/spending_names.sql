-- Names of upper-tier authorities (and England) from their newest loaded boundaries.
SELECT DISTINCT ON (code) code, name
FROM areas WHERE level IN ('utla', 'country') AND code = ANY(CAST(:codes AS text[]))
ORDER BY code, vintage DESC
