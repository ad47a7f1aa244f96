-- The places that may be run by a grant's recipient by name (analysis/grant_places.py compares
-- the names): each named place within :metres of the area a grant lands in (an LSOA, ward or
-- authority: a region is too wide to say anything), with its distance (0: inside), for each
-- recipient name and area of the grants no number links yet.
WITH landing AS (
    SELECT DISTINCT area_code, area_level FROM grants
    WHERE recipient_name IS NOT NULL AND area_level IN ('lsoa', 'ward', 'ltla', 'utla')
),
shapes AS (
    SELECT DISTINCT ON (l.area_code) l.area_code, a.geom_27700
    FROM landing l JOIN areas a ON a.code = l.area_code AND a.level = l.area_level
    ORDER BY l.area_code, a.vintage DESC
),
near AS (
    SELECT s.area_code, f.id AS place_id, f.name AS place_name,
           ST_Distance(f.geom_27700, s.geom_27700) AS distance_m
    FROM shapes s JOIN place_features f ON ST_DWithin(f.geom_27700, s.geom_27700, :metres)
    WHERE f.name IS NOT NULL
)
SELECT DISTINCT g.recipient_name, n.area_code, n.place_id, n.place_name, n.distance_m
FROM near n JOIN grants g ON g.area_code = n.area_code
WHERE g.recipient_name IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM analysis_grant_places l WHERE l.grant_id = g.id)
