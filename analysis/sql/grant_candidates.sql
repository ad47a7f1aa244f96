-- The candidate links no reviewer has decided (analysis/grant_places.py), for the review list:
-- of grants landing in :area or inside it (NULL: all), best names first, then nearest.
SELECT json_build_object('place_id', p.id, 'place_name', p.name, 'category', p.category,
                         'grant', {{grant_link_json}})::text
FROM analysis_grant_places l
JOIN grants g ON g.id = l.grant_id
JOIN places p ON p.id = l.place_id
LEFT JOIN grant_place_reviews r ON r.grant_identifier = g.identifier AND r.place_id = l.place_id
WHERE l.state = 'candidate' AND r.state IS NULL
  AND (CAST(:area AS text) IS NULL OR :area IN (g.area_code, g.ltla, g.utla, g.region))
ORDER BY l.score DESC, l.distance_m, g.identifier, p.id
LIMIT :limit OFFSET :offset
