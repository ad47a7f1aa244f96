-- The places of :categories open in :loss_from or :year (place_years), with their state in both
-- years: the places loss_ctes.sql counts (and /closures lists the closed ones of).
statuses AS MATERIALIZED (  -- every place of :categories open in either year, with its state in both
    SELECT p.id, p.category, p.geom_27700 AS geom,
           bool_or(y.year = :loss_from AND y.status = 'open') AS open_then,
           bool_or(y.year = :year AND y.status = 'open') AS open_now,
           max(y.status) FILTER (WHERE y.year = :year) AS status_now
    FROM place_years y JOIN places p ON p.id = y.place_id
    WHERE y.year IN (:loss_from, :year) AND p.category = ANY(CAST(:categories AS text[]))
      AND p.geom IS NOT NULL  -- a place with no location (a list row nobody locates) is in no small area
    GROUP BY p.id
    HAVING bool_or(y.status = 'open')
)
