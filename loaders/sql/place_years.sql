-- place_years: every place's status in each year :first..:last, from its stored history.
-- Rules (docs/places.md, "Status by year"):
--  1. a statement dated for the year wins: a place_status row, else the status a list dated
--     that year published (the year in its source key, e.g. dcms-libraries-2016), else the
--     place's closure year (a closure with a year beats silence);
--  2. otherwise the latest statement before the year carries forward;
--  3. before the first statement, a place first stated open (or closed in a known later year)
--     was open; a place with no dated statement has its current status; nothing is said before
--     its opening year or before a closure whose year is unknown.
-- Statements before :first count at :first (a closure in 2008 means closed in 2010).
-- loaders/places.py merges the result as a difference (a load that changes nothing changes no row).
WITH years AS (
    SELECT generate_series(CAST(:first AS int), CAST(:last AS int)) AS year),
statements AS (
    SELECT DISTINCT ON (place_id, year) place_id, year, status
    FROM (SELECT place_id, greatest(year, :first) AS year, year AS stated_year, status, 0 AS rank
          FROM place_status WHERE year <= :last
          UNION ALL
          -- as published: later lists that link a place keep what it said before (previous)
          SELECT id, greatest(listed, :first), listed,
                 coalesce(attributes -> 'basic_2023' -> 'previous' ->> 'status',
                          attributes -> 'uk_2025' -> 'previous' ->> 'status', status), 1
          FROM (SELECT *, CAST(substring(source FROM '-([12][0-9]{3})$') AS int) AS listed
                FROM places) p
          WHERE listed <= :last
          UNION ALL
          SELECT id, greatest(closed_year, :first), closed_year, 'closed', 2
          FROM places WHERE status = 'closed' AND closed_year <= :last) s
    ORDER BY place_id, year, rank, stated_year DESC),
grid AS (
    SELECT p.id AS place_id, y.year, p.status AS current, p.opened_year, p.closed_year,
           s.status AS stated,
           count(s.status) OVER (PARTITION BY p.id ORDER BY y.year) AS seen
    FROM places p CROSS JOIN years y
    LEFT JOIN statements s ON s.place_id = p.id AND s.year = y.year),
carried AS (
    SELECT g.*,
           first_value(stated) OVER (PARTITION BY place_id, seen ORDER BY year) AS latest,
           first_value(stated) OVER (PARTITION BY place_id ORDER BY stated IS NULL, year) AS first_stated
    FROM grid g),
resolved AS (
    SELECT place_id, year,
           CASE WHEN stated IS NOT NULL THEN stated
                WHEN opened_year > year THEN NULL
                WHEN seen > 0 THEN latest
                WHEN first_stated IS NULL THEN current
                WHEN first_stated = 'open' OR closed_year > year THEN 'open'
           END AS status
    FROM carried)
SELECT year, place_id, status FROM resolved WHERE status IS NOT NULL
