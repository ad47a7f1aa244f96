-- The local authorities a point lies in, judged on the most detailed boundary kindmap stores
-- (docs/edits.md "Who may write"): an authority whose small areas (LSOA boundaries, BGC) are
-- loaded is exactly their union, by the LSOA → LTLA lookup; any other lower-tier authority is
-- its stored LTLA boundary (BGC on a full load). The upper tier is the LTLA's county
-- (areas.parent_codes), never the heavily generalised county (BUC) polygons, which reach
-- hundreds of metres into the neighbours. Boundaries are clipped to the coast, so a point
-- outside all of them but within :tolerance metres takes the nearest (a boundary's before a
-- union of LSOAs: those are exact); none: not in the UK's stored boundaries.
-- A point far from the UK (beyond the box below) is in none, and is not transformed: far from the
-- British National Grid's meridian the transform fails ("outside of projection domain").
WITH here AS (
    SELECT CASE WHEN CAST(:lon AS float8) BETWEEN -30 AND 30 AND CAST(:lat AS float8) BETWEEN 30 AND 75
                THEN ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 27700) END AS g),
candidates AS (
    SELECT DISTINCT ON (a.code) a.code, a.parent_codes ->> 'utla' AS utla,
           ST_Intersects(a.geom_27700, here.g) AS inside, ST_Distance(a.geom_27700, here.g) AS metres
    FROM areas a, here
    WHERE a.level = 'ltla' AND ST_DWithin(a.geom_27700, here.g, :tolerance)
    ORDER BY a.code, ST_Distance(a.geom_27700, here.g)),
small_areas AS (  -- the loaded LSOA boundaries of the candidates, by their lookup
    SELECT l.parent_code AS code, s.geom_27700
    FROM areas s
    JOIN area_lookups l ON l.code = s.code AND l.level = 'lsoa' AND l.parent_level = 'ltla'
                       AND (l.vintage = s.vintage OR l.vintage IS NULL)
    WHERE s.level = 'lsoa' AND l.parent_code IN (SELECT code FROM candidates)),
judged AS (
    SELECT c.code, c.utla, x.code IS NOT NULL AS exact,
           CASE WHEN x.code IS NULL THEN c.inside ELSE x.inside END AS inside,
           CASE WHEN x.code IS NULL THEN c.metres ELSE x.metres END AS metres
    FROM candidates c
    LEFT JOIN (SELECT sa.code, bool_or(ST_Intersects(sa.geom_27700, here.g)) AS inside,
                      min(ST_Distance(sa.geom_27700, here.g)) AS metres
               FROM small_areas sa, here GROUP BY sa.code) x ON x.code = c.code),
chosen AS (  -- authorities do not overlap: inside an exact outline, a generalised one does not count
    SELECT * FROM judged WHERE inside AND (exact OR NOT EXISTS (SELECT 1 FROM judged WHERE inside AND exact))
    UNION ALL
    (SELECT * FROM judged WHERE NOT EXISTS (SELECT 1 FROM judged WHERE inside)
     ORDER BY exact, metres LIMIT 1))
SELECT code FROM chosen
UNION
SELECT utla FROM chosen WHERE utla IS NOT NULL
ORDER BY 1
