-- A collection's spatial extent in CRS84 as [minx, miny, maxx, maxy]: the planner's estimate when
-- statistics exist (cheap on large tables), the exact extent otherwise, moved from the stored SRID.
-- {table} and {column} come from the collection registry, never from a request.
WITH box AS (
    SELECT COALESCE(ST_EstimatedExtent('public', :table, :column),
                    (SELECT ST_Extent({column}) FROM {table})) AS b),
moved AS (
    SELECT ST_Transform(ST_SetSRID(b::geometry, :srid), 4326) AS g FROM box WHERE b IS NOT NULL)
SELECT ST_XMin(g), ST_YMin(g), ST_XMax(g), ST_YMax(g) FROM moved
