-- place_years: every place's status in each year :first..:last, from the records of the place
-- (the canonical record and those merged into it) and their stored history.
-- Rules (docs/places.md, "Status by year"), by rank for a year:
--  0. the status a list dated that year published for its record (the year its source key ends
--     in, e.g. dcms-libraries-2016); the statement lists (:statement_lists) say theirs by year in
--     place_status instead;
--  1. a dated statement for the year (place_status: basic dataset years, UK list 2025, closure
--     and reopening years); between two lists stating the same year, the one dated nearer to it
--     (the basic dataset's 2019 over the UK list's closure year 2019);
--  2. a closure with a year (closed_year of a closed record): a closure beats silence;
--  then the latest statement before the year carries forward; before the first statement a place
--  first stated open (or closed in a known later year) was open; a place with no dated statement
--  has its current status; nothing is said before its opening year or before a closure whose
--  year is unknown. Statements before :first count at :first (closed in 2008: closed in 2010).
-- A planner's edit is a record of the place like any other (its status statements, its closure
-- year), and the place's current status is the one served (place_features: the live edit's);
-- an edit a reload superseded (place_edits.superseded_by) no longer counts (docs/edits.md).
-- :place limits it to one place (an edit: edits/sql/place_years_of_place.sql); NULL: every place.
-- places/refresh.py merges the result as a difference (a load that changes nothing changes no row).
WITH years AS (
    SELECT generate_series(CAST(:first AS int), CAST(:last AS int)) AS year),
records AS (
    SELECT p.*, coalesce(p.merged_into, p.id) AS place_id,
           CAST(substring(p.source FROM '-([12][0-9]{3})$') AS int) AS listed
    FROM places p
    WHERE p.id NOT IN (SELECT record_id FROM place_edits WHERE superseded_by IS NOT NULL)
      AND (CAST(:place AS bigint) IS NULL OR p.id = :place OR p.merged_into = :place)),
statements AS (
    SELECT DISTINCT ON (place_id, year) place_id, year, status
    FROM (SELECT r.place_id, least(greatest(r.listed, :first), :last) AS year, r.listed AS stated_year,
                 r.status, 0 AS rank, 0 AS nearness
          FROM records r WHERE r.listed IS NOT NULL AND r.source <> ALL(:statement_lists)
          UNION ALL
          SELECT r.place_id, least(greatest(s.year, :first), :last), s.year, s.status, 1, abs(r.listed - s.year)
          FROM place_status s JOIN records r ON r.id = s.place_id
          UNION ALL
          SELECT place_id, least(greatest(closed_year, :first), :last), closed_year, 'closed', 2, 0
          FROM records WHERE status = 'closed' AND closed_year IS NOT NULL) s
    -- same year and rank: the latest statement, from the list dated nearest, a closure before an opening
    ORDER BY place_id, year, rank, stated_year DESC, nearness NULLS LAST, status = 'open'),
claim_areas AS MATERIALIZED (  -- the loaded boundary (newest vintage) of each authority a claim names
    SELECT DISTINCT ON (c.id, a.code) c.id AS claim_id, a.geom_27700
    FROM coverage c CROSS JOIN LATERAL unnest(c.area_codes) named(code)
    JOIN areas a ON a.code = named.code
    WHERE named.code !~ '^[EWSNK]92'  -- a country: the record's country says (place_country.sql)
    ORDER BY c.id, a.code, a.vintage DESC
),
covered AS (  -- the years each place's records' sources cover where the record is
    SELECT DISTINCT r.place_id, y.year
    FROM records r
    JOIN coverage c ON c.source = r.source AND r.category = ANY(c.categories)
    CROSS JOIN LATERAL generate_series(greatest(c.first_year, :first), least(c.last_year, :last)) y(year)
    WHERE r.geom IS NULL  -- a list row nobody locates: its list's claim is all there is
       OR ST_Intersects(c.geom_27700, r.geom_27700)
       OR r.country = ANY(c.area_codes)
       OR EXISTS (SELECT 1 FROM claim_areas ca WHERE ca.claim_id = c.id AND ST_Intersects(ca.geom_27700, r.geom_27700))
       -- authorities named whose boundaries are not loaded: the claim cannot be checked, so it is taken
       OR (c.geom_27700 IS NULL AND NOT EXISTS (SELECT 1 FROM claim_areas ca WHERE ca.claim_id = c.id)
           AND NOT EXISTS (SELECT 1 FROM unnest(c.area_codes) named(code) WHERE named.code ~ '^[EWSNK]92'))
),
grid AS (
    SELECT p.id AS place_id, y.year, p.status AS current, p.opened_year, p.closed_year,
           s.status AS stated, s.status IS NOT NULL OR cv.year IS NOT NULL AS spoken,
           count(s.status) OVER (PARTITION BY p.id ORDER BY y.year) AS seen
    FROM place_features p CROSS JOIN years y
    LEFT JOIN statements s ON s.place_id = p.id AND s.year = y.year
    LEFT JOIN covered cv ON cv.place_id = p.id AND cv.year = y.year
    -- a place known only from building footprints (:footprints) has no status: a building
    -- classified Library is not a statement that a public library is open (docs/places.md)
    WHERE (CAST(:place AS bigint) IS NULL OR p.id = :place)
      AND EXISTS (SELECT 1 FROM places r WHERE (r.id = p.id OR r.merged_into = p.id)
                                          AND r.source <> ALL(:footprints))),
carried AS (
    SELECT g.*,
           first_value(stated) OVER (PARTITION BY place_id, seen ORDER BY year) AS latest,
           first_value(stated) OVER (PARTITION BY place_id ORDER BY stated IS NULL, year) AS first_stated,
           min(year) FILTER (WHERE spoken) OVER (PARTITION BY place_id) AS first_spoken,
           max(year) FILTER (WHERE spoken) OVER (PARTITION BY place_id) AS last_spoken
    FROM grid g),
resolved AS (
    SELECT place_id, year, first_spoken, last_spoken, opened_year, seen, latest,
           CASE WHEN opened_year > :last THEN NULL  -- opened after the years resolved (an edit this year):
                                                     -- its statement clamped to :last says nothing of them
                WHEN stated IS NOT NULL THEN stated
                WHEN opened_year > year THEN NULL
                WHEN seen > 0 THEN latest
                WHEN first_stated IS NULL THEN current
                WHEN first_stated = 'open' OR closed_year > year THEN 'open'
           END AS status
    FROM carried)
-- within the years spoken for; before them open since it opened; after them a dated closure stays
-- (no comment on the last line: edits/sql/place_years_of_place.sql wraps this statement)
SELECT year, place_id, status FROM resolved
WHERE status IS NOT NULL
  AND (year BETWEEN first_spoken AND last_spoken
       OR year < first_spoken AND year >= opened_year AND status = 'open'
       OR year > last_spoken AND seen > 0 AND latest = 'closed')
