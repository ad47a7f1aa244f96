-- place_years of one place (:place) brought in line with its stored history, as a difference,
-- by the same rules as every load (places/sql/place_years.sql, read in as place_years below, for
-- :place only).
WITH resolved AS (
    SELECT year, place_id, status FROM ({{place_years}}) y),
removed AS (
    DELETE FROM place_years py WHERE py.place_id = :place
      AND NOT EXISTS (SELECT 1 FROM resolved r WHERE r.year = py.year))
INSERT INTO place_years (year, place_id, status)
SELECT year, place_id, status FROM resolved
ON CONFLICT (year, place_id) DO UPDATE SET status = EXCLUDED.status
    WHERE place_years.status IS DISTINCT FROM EXCLUDED.status
