-- The edit record :record amends the publisher's record :amends, as that record stands now; a
-- renewed edit wins again over a publisher's change that had superseded it.
INSERT INTO place_edits (record_id, amends, based_on)
SELECT :record, a.id, {{published_hash(a)}} FROM places a WHERE a.id = :amends
ON CONFLICT (record_id) DO UPDATE SET based_on = EXCLUDED.based_on, superseded_by = NULL
