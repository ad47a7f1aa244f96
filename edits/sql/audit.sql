-- One row of the audit trail: the place as served before (NULL: new) and after the write, through
-- write_place_audit() (migration 0021): the API's role may not insert audit rows itself; the
-- function takes the key from the write's import run and accepts only a run of this transaction.
SELECT write_place_audit(:place, :record, :action, :run, CAST(:before AS jsonb), {{feature_json(f)}})
FROM place_features f WHERE f.id = :place
