-- A decision on a pending review; no row when the review is unknown or decided already.
UPDATE place_reviews SET state = :state, key_id = :key, decided_at = now(), reason = :reason
WHERE id = :id AND state = 'pending'
RETURNING json_build_object('id', id, 'state', state, 'decided_at', decided_at, 'reason', reason)
