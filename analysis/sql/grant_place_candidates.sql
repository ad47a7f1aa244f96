-- Candidates by name and distance (analysis/grant_places.py): every grant of a recipient name and
-- landing area whose name agrees with a nearby place's, as a candidate to review — never linked.
INSERT INTO analysis_grant_places (grant_id, place_id, basis, state, matched, score, distance_m)
SELECT g.id, c.place_id, 'name_distance', 'candidate', c.place_name, c.score, c.distance_m
FROM unnest(CAST(:recipient_names AS text[]), CAST(:area_codes AS text[]), CAST(:place_ids AS bigint[]),
            CAST(:place_names AS text[]), CAST(:scores AS float8[]), CAST(:distances AS float8[]))
     AS c(recipient_name, area_code, place_id, place_name, score, distance_m)
JOIN grants g ON g.recipient_name = c.recipient_name AND g.area_code = c.area_code
ON CONFLICT (grant_id, place_id) DO NOTHING
