-- The local authorities (upper and lower tier, every stored vintage) a point lies in. Boundaries
-- are stored generalised and clipped to the coast (BUC), so a point outside all of them but
-- within :tolerance metres takes the nearest authority of each tier; none: not in the UK's
-- stored boundaries.
WITH here AS (
    SELECT ST_Transform(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), 27700) AS g),
near AS (
    SELECT a.code, a.level, ST_Intersects(a.geom_27700, here.g) AS inside,
           ST_Distance(a.geom_27700, here.g) AS metres
    FROM areas a, here
    WHERE a.level IN ('utla', 'ltla') AND ST_DWithin(a.geom_27700, here.g, :tolerance))
SELECT DISTINCT code FROM near
WHERE inside
   OR (NOT EXISTS (SELECT 1 FROM near WHERE inside)
       AND metres = (SELECT min(n.metres) FROM near n WHERE n.level = near.level))
ORDER BY code
