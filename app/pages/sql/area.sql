-- The area a profile is about: its newest boundary (an LTLA and a UTLA with the same code share
-- it), the names of its parents, and which figures the database can give for it. England
-- (E92000001) is an area without a boundary of its own: the extent of the regions loaded.
WITH chosen AS (
    (SELECT code, name, level, vintage, parent_codes, geom
     FROM areas
     WHERE code = :code
     ORDER BY vintage DESC, level = 'ltla' DESC
     LIMIT 1)
    UNION ALL
    SELECT 'E92000001', 'England', 'country', max(vintage), '{}'::jsonb,
           ST_SetSRID(ST_Extent(geom)::geometry, 4326)
    FROM areas
    WHERE :code = 'E92000001' AND level = 'region'
      AND NOT EXISTS (SELECT 1 FROM areas WHERE code = 'E92000001')
    HAVING count(*) > 0
)
SELECT c.code, c.name, c.level, c.vintage,
       json_build_array(ST_XMin(c.geom), ST_YMin(c.geom), ST_XMax(c.geom), ST_YMax(c.geom)) AS bbox,
       (SELECT json_agg(json_build_object('level', p.key, 'code', p.value, 'name',
                        (SELECT a.name FROM areas a WHERE a.code = p.value ORDER BY a.vintage DESC LIMIT 1))
                        ORDER BY p.key DESC)
        FROM jsonb_each_text(c.parent_codes) p) AS parents,
       EXISTS (SELECT 1 FROM analysis_small_areas s
               WHERE :code IN (s.code, s.ltla, s.utla, s.region)) AS has_small_areas,
       EXISTS (SELECT 1 FROM spending) AND EXISTS (SELECT 1 FROM indicators WHERE indicator = 'population')
           AS has_spending
FROM chosen c
