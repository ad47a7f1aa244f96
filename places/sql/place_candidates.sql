-- Pairs of located records that may be one real place: same category, different sources, within
-- :radius metres (ST_DWithin on the indexed geom_27700). Postcodes, where a record has one, are
-- normalised (upper case, letters and digits only) so the engine can compare them. Edit records
-- amending a place (place_edits) are not candidates: they stay with the place they amend.
SELECT a.id AS id_a, b.id AS id_b,
       a.source || ':' || a.source_ref AS ref_a, b.source || ':' || b.source_ref AS ref_b,
       a.source AS source_a, b.source AS source_b, a.name AS name_a, b.name AS name_b,
       a.status = b.status AS same_status,
       nullif(upper(regexp_replace(coalesce(a.attributes ->> 'postcode', a.attributes ->> 'addr:postcode', ''),
                                   '[^A-Za-z0-9]', '', 'g')), '') AS pc_a,
       nullif(upper(regexp_replace(coalesce(b.attributes ->> 'postcode', b.attributes ->> 'addr:postcode', ''),
                                   '[^A-Za-z0-9]', '', 'g')), '') AS pc_b,
       ST_Distance(a.geom_27700, b.geom_27700) AS distance
FROM places a
JOIN places b ON ST_DWithin(a.geom_27700, b.geom_27700, :radius)
             AND a.category = b.category AND a.source <> b.source
             AND (a.source, a.source_ref) < (b.source, b.source_ref)
WHERE a.id NOT IN (SELECT record_id FROM place_edits) AND b.id NOT IN (SELECT record_id FROM place_edits)
