-- After a load: edits whose amended publisher's record this load changed stop winning
-- (superseded_by = the load's run), each with an audit row: before, the edit as it was served;
-- after, the publisher's record that now serves the place (docs/edits.md, "Reloads").
WITH superseded AS (
    UPDATE place_edits pe SET superseded_by = :run
    FROM places a
    WHERE a.id = pe.amends AND pe.superseded_by IS NULL AND pe.based_on <> {{published_hash(a)}}
    RETURNING pe.record_id, pe.amends)
INSERT INTO place_audit (place_id, record_id, action, import_run_id, before, after)
SELECT coalesce(a.merged_into, a.id), s.record_id, 'superseded', :run, {{feature_json(e)}}, {{feature_json(a)}}
FROM superseded s JOIN places e ON e.id = s.record_id JOIN places a ON a.id = s.amends
RETURNING place_id
