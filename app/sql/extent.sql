-- A collection's spatial extent as [minx, miny, maxx, maxy]: the planner's estimate when
-- statistics exist (cheap on large tables), the exact extent otherwise.
WITH box AS (
    SELECT COALESCE(ST_EstimatedExtent('public', :table, 'geom'),
                    (SELECT ST_Extent(geom) FROM {table})) AS b)
SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM box WHERE b IS NOT NULL
