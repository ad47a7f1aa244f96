-- After places are grouped: every edit record stays with the place of the record it amends.
UPDATE places e SET merged_into = coalesce(a.merged_into, a.id)
FROM place_edits pe JOIN places a ON a.id = pe.amends
WHERE e.id = pe.record_id AND e.merged_into IS DISTINCT FROM coalesce(a.merged_into, a.id)
