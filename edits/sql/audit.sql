-- One row of the audit trail: the place as served before (NULL: new) and after the write.
INSERT INTO place_audit (place_id, record_id, action, key_id, import_run_id, before, after)
SELECT :place, :record, :action, :key_id, :run, CAST(:before AS jsonb), {{feature_json(f)}}
FROM place_features f WHERE f.id = :place
RETURNING id
