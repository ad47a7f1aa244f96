-- Pairs of located records that may be one real place: same category, different sources (or two
-- records of a source whose records may be parts of one place, :parts — building footprints),
-- within :radius metres, or within :far metres when both postcodes lie in one postcode sector
-- (ST_DWithin on the indexed geom_27700). Postcodes, where a record has one, are normalised
-- (upper case, letters and digits only) so the engine can compare them; the sector is the
-- postcode less its last two characters (PE94HY → PE94). Edit records amending a place
-- (place_edits) are not candidates: they stay with the place they amend.
WITH located AS (
    SELECT p.id, p.source, p.source_ref, p.name, p.status, p.category, p.geom_27700,
           nullif(upper(regexp_replace(coalesce(p.attributes ->> 'postcode', p.attributes ->> 'addr:postcode', ''),
                                       '[^A-Za-z0-9]', '', 'g')), '') AS pc
    FROM places p
    WHERE p.geom_27700 IS NOT NULL AND p.id NOT IN (SELECT record_id FROM place_edits)
)
SELECT a.id AS id_a, b.id AS id_b,
       a.source || ':' || a.source_ref AS ref_a, b.source || ':' || b.source_ref AS ref_b,
       a.source AS source_a, b.source AS source_b, a.name AS name_a, b.name AS name_b,
       a.status = b.status AS same_status, a.pc AS pc_a, b.pc AS pc_b,
       left(a.pc, -2) = left(b.pc, -2) AS same_sector,
       ST_Distance(a.geom_27700, b.geom_27700) AS distance
FROM located a
JOIN located b ON ST_DWithin(a.geom_27700, b.geom_27700, :far)
             AND a.category = b.category
             AND (a.source <> b.source OR a.source = ANY(:parts))
             AND (a.source, a.source_ref) < (b.source, b.source_ref)
WHERE ST_DWithin(a.geom_27700, b.geom_27700, :radius)
   OR (length(a.pc) >= 5 AND left(a.pc, -2) = left(b.pc, -2))
