-- The places inside an area's newest boundary, each with its resolved status year by year
-- (place_years) folded into runs ("open 2010–2015, closed 2016–2025"), and the dated statements
-- behind them (place_status of the place and of every record merged into it, with their source).
WITH area AS (
    SELECT geom FROM areas WHERE code = :code ORDER BY vintage DESC LIMIT 1
), inside AS (
    SELECT p.id, p.name, p.category, p.status, p.source, p.geom
    FROM place_features p, area
    WHERE ST_Intersects(p.geom, area.geom)
), runs AS (
    SELECT place_id, status, min(year) AS first_year, max(year) AS last_year
    FROM (SELECT y.place_id, y.status, y.year,
                 y.year - row_number() OVER (PARTITION BY y.place_id, y.status ORDER BY y.year) AS island
          FROM place_years y JOIN inside i ON i.id = y.place_id) numbered
    GROUP BY place_id, status, island
), statements AS (
    SELECT coalesce(r.merged_into, r.id) AS place_id, s.year, s.status, src.key AS source
    FROM place_status s
    JOIN places r ON r.id = s.place_id
    JOIN import_runs run ON run.id = s.import_run_id
    JOIN sources src ON src.id = run.source_id
    WHERE coalesce(r.merged_into, r.id) IN (SELECT id FROM inside)
)
SELECT i.id, i.name, i.category, i.status, i.source,
       ST_AsGeoJSON(i.geom, 6) AS geometry,
       (SELECT json_agg(json_build_object('status', r.status, 'from', r.first_year, 'to', r.last_year)
                        ORDER BY r.first_year)
        FROM runs r WHERE r.place_id = i.id) AS history,
       (SELECT json_agg(json_build_object('year', s.year, 'status', s.status, 'source', s.source)
                        ORDER BY s.year, s.source)
        FROM statements s WHERE s.place_id = i.id) AS statements
FROM inside i
ORDER BY i.category, i.name, i.id
