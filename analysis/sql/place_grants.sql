-- The grants of one place (:fid), for /collections/places/items/{id} (app/collections.py
-- item_members): {"grants": {"linked": [...], "candidates": [...]}}, newest first. Linked: a
-- charity or company number matched; candidates: a similar name near where the grant lands, to
-- be reviewed (analysis/grant_places.py).
SELECT json_build_object('grants', json_build_object(
    'linked', coalesce(json_agg(g.grant ORDER BY g.award_date DESC, g.identifier)
                       FILTER (WHERE g.state = 'linked'), '[]'),
    'candidates', coalesce(json_agg(g.grant ORDER BY g.award_date DESC, g.identifier)
                           FILTER (WHERE g.state = 'candidate'), '[]')))::text
FROM (
    SELECT l.state, g.award_date, g.identifier, json_build_object(
               'identifier', g.identifier, 'title', g.title, 'amount_awarded', g.amount_awarded,
               'currency', g.currency, 'award_date', g.award_date, 'funder_id', g.funder_id,
               'funder_name', g.funder_name, 'programme_title', g.programme_title,
               'recipient_name', g.recipient_name, 'area_code', g.area_code, 'basis', l.basis,
               'matched', l.matched, 'name_score', l.score,
               'distance_m', round(CAST(l.distance_m AS numeric), 1)) AS grant
    FROM analysis_grant_places l JOIN grants g ON g.id = l.grant_id
    WHERE l.place_id = :fid
) g
