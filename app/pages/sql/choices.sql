-- What the priorities filters offer: the English regions and upper-tier authorities of the newest
-- boundary vintage loaded.
SELECT level, code, name
FROM areas a
WHERE level IN ('region', 'utla') AND code LIKE 'E%'
  AND vintage = (SELECT max(vintage) FROM areas b WHERE b.level = a.level)
ORDER BY level, name
