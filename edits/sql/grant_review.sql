-- A reviewer's decision on a candidate link (grant :identifier, place :place; analysis_grant_places,
-- basis name_distance): recorded, or changed, in grant_place_reviews; no row when the pair is
-- no candidate. analysis/sql/place_grants.sql shows an accepted one as linked.
INSERT INTO grant_place_reviews (grant_identifier, place_id, state, key_id, reason)
SELECT g.identifier, l.place_id, :state, :key, :reason
FROM analysis_grant_places l JOIN grants g ON g.id = l.grant_id
WHERE l.place_id = :place AND g.identifier = :identifier AND l.basis = 'name_distance'
ON CONFLICT (grant_identifier, place_id) DO UPDATE
    SET state = excluded.state, key_id = excluded.key_id, decided_at = now(), reason = excluded.reason
RETURNING json_build_object('grant', grant_identifier, 'place_id', place_id, 'state', state,
                            'decided_at', decided_at, 'reason', reason)::text
