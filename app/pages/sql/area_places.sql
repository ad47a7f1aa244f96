-- The places of :categories inside an area's newest boundary that have a status in :year (the
-- profile's choice: a place no source speaks for that year is not shown as if it were there), each
-- with that status, its resolved status year by year (place_years) folded into runs ("open
-- 2010–2015, closed 2016–2025"), and the dated statements behind them (place_status of the place
-- and of every record merged into it, with their source). Each part is aggregated once per place
-- and joined (no per-place subquery).
WITH area AS (
    SELECT geom FROM areas WHERE code = :code ORDER BY vintage DESC LIMIT 1
), inside AS (
    SELECT p.id, p.name, p.category, y.status, p.source, p.geom
    FROM place_features p
    JOIN place_years y ON y.place_id = p.id AND y.year = :year, area
    WHERE ST_Intersects(p.geom, area.geom) AND p.category = ANY(CAST(:categories AS text[]))
), runs AS (
    SELECT place_id, status, min(year) AS first_year, max(year) AS last_year
    FROM (SELECT y.place_id, y.status, y.year,
                 y.year - row_number() OVER (PARTITION BY y.place_id, y.status ORDER BY y.year) AS island
          FROM place_years y JOIN inside i ON i.id = y.place_id) numbered
    GROUP BY place_id, status, island
), history AS (
    SELECT place_id, json_agg(json_build_object('status', status, 'from', first_year, 'to', last_year)
                              ORDER BY first_year) AS history
    FROM runs GROUP BY place_id
), records AS (  -- every publisher's record of the places: the place itself and those merged into it
    SELECT id AS record_id, id AS place_id FROM inside
    UNION ALL
    SELECT r.id, r.merged_into FROM places r JOIN inside i ON r.merged_into = i.id
), statements AS (
    SELECT rec.place_id,
           json_agg(json_build_object('year', s.year, 'status', s.status, 'source', src.key)
                    ORDER BY s.year, src.key) AS statements
    FROM records rec
    JOIN place_status s ON s.place_id = rec.record_id
    JOIN import_runs run ON run.id = s.import_run_id
    JOIN sources src ON src.id = run.source_id
    GROUP BY rec.place_id
)
SELECT i.id, i.name, i.category, i.status, i.source, ST_AsGeoJSON(i.geom, 6) AS geometry,
       h.history, st.statements
FROM inside i
LEFT JOIN history h ON h.place_id = i.id
LEFT JOIN statements st ON st.place_id = i.id
ORDER BY i.category, i.name, i.id
