-- A place's audit trail, oldest first (every write through the API, every edit a load superseded).
SELECT a.id, a.at, a.action, a.key_id, a.import_run_id, a.record_id, a.before, a.after
FROM place_audit a
WHERE a.place_id = :place
ORDER BY a.at, a.id
