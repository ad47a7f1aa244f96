-- Pairs of places (canonical records) of one category, both served as open, within :metres of
-- each other: each is two places on one spot, so either two real services or a double count.
SELECT a.id AS place_a, b.id AS place_b,
       a.source || ':' || a.source_ref AS ref_a, a.name AS name_a,
       b.source || ':' || b.source_ref AS ref_b, b.name AS name_b,
       round(ST_Distance(a.geom_27700, b.geom_27700)::numeric, 1) AS metres,
       coalesce(a.attributes ->> 'postcode', a.attributes ->> 'addr:postcode') AS postcode_a,
       coalesce(b.attributes ->> 'postcode', b.attributes ->> 'addr:postcode') AS postcode_b
FROM places a
JOIN place_current ca ON ca.place_id = a.id AND ca.status = 'open'
JOIN places b ON ST_DWithin(a.geom_27700, b.geom_27700, :metres)
             AND (a.source, a.source_ref) < (b.source, b.source_ref)
             AND b.category = a.category AND b.merged_into IS NULL
JOIN place_current cb ON cb.place_id = b.id AND cb.status = 'open'
WHERE a.merged_into IS NULL AND a.category = :category
ORDER BY metres, ref_a, ref_b
