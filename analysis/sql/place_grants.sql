-- The grants of one place (:fid), for /collections/places/items/{id} (app/collections.py
-- item_members): {"grants": {"linked": [...], "candidates": [...]}}, newest first. Linked: a
-- charity or company number matched, or a reviewer accepted the candidate (`review`); candidates:
-- a similar name near where the grant lands, not decided yet (analysis/grant_places.py). A
-- rejected candidate is not shown.
SELECT json_build_object('grants', json_build_object(
    'linked', coalesce(json_agg(g.grant ORDER BY g.award_date DESC, g.identifier)
                       FILTER (WHERE g.shown = 'linked'), '[]'),
    'candidates', coalesce(json_agg(g.grant ORDER BY g.award_date DESC, g.identifier)
                           FILTER (WHERE g.shown = 'candidate'), '[]')))::text
FROM (
    SELECT CASE WHEN l.state = 'linked' OR r.state = 'accepted' THEN 'linked'
                WHEN r.state IS NULL THEN 'candidate' END AS shown,
           g.award_date, g.identifier, {{grant_link_json}} AS grant
    FROM analysis_grant_places l JOIN grants g ON g.id = l.grant_id
    LEFT JOIN grant_place_reviews r ON r.grant_identifier = g.identifier AND r.place_id = l.place_id
                                   AND l.basis = 'name_distance'
    WHERE l.place_id = :fid
) g
