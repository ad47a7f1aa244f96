-- A moderator's decision on a pending proposal (accepted: with the place it became).
UPDATE place_proposals
SET state = :state, decided_at = now(), decided_by = :key_id, reason = :reason, place_id = :place
WHERE id = :id
