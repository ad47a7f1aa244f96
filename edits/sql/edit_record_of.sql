-- The edit record of a place, if it has one: the live one the collection shows, else the newest.
SELECT pe.record_id, pe.amends
FROM place_edits pe JOIN places e ON e.id = pe.record_id
WHERE e.merged_into = :place
ORDER BY pe.superseded_by IS NULL DESC, e.updated_at DESC, e.id DESC
LIMIT 1
