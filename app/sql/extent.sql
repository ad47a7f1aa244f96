-- A collection's spatial extent: the planner's estimate when statistics exist (cheap on large
-- tables), the exact extent otherwise.
SELECT COALESCE(ST_EstimatedExtent('public', :table, 'geom'),
                (SELECT ST_Extent(geom) FROM {table}))::box2d::text AS extent
