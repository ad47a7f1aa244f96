-- Grants linked to the places their recipients run by number (analysis/grant_places.py): the
-- recipient's charity (company) number equals the value of one of :charity_keys (:company_keys)
-- in the attributes of any record of the place — its lists' records and its live edit, not a
-- superseded edit. Linked to the place (the canonical record), once per grant and place.
WITH numbers AS (
    SELECT coalesce(r.merged_into, r.id) AS place_id, k.basis, k.value
    FROM places r
    CROSS JOIN LATERAL (
        SELECT 'charity_number' AS basis, r.attributes ->> key AS value FROM unnest(CAST(:charity_keys AS text[])) key
        UNION ALL
        SELECT 'company_number', r.attributes ->> key FROM unnest(CAST(:company_keys AS text[])) key
    ) k
    WHERE k.value IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM place_edits pe WHERE pe.record_id = r.id AND pe.superseded_by IS NOT NULL)
),
compared AS (SELECT DISTINCT place_id, basis, {{grant_number(value)}} AS number FROM numbers),
recipients AS (
    SELECT id, 'charity_number' AS basis, {{grant_number(recipient_charity_number)}} AS number FROM grants
    WHERE recipient_charity_number IS NOT NULL
    UNION ALL
    SELECT id, 'company_number', {{grant_number(recipient_company_number)}} FROM grants
    WHERE recipient_company_number IS NOT NULL
)
INSERT INTO analysis_grant_places (grant_id, place_id, basis, state, matched)
SELECT DISTINCT ON (g.id, c.place_id) g.id, c.place_id, c.basis, 'linked', c.number
FROM recipients g JOIN compared c ON c.basis = g.basis AND c.number = g.number
ORDER BY g.id, c.place_id, c.basis
