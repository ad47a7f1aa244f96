-- One place as the places collection serves it (place_features: its canonical record, or the
-- live edit of it), with its version (`state`, the md5 of the whole served row: the ETag's
-- first part) and the Feature the audit trail keeps.
SELECT f.id, f.source, f.source_ref, f.name, f.category, f.status, f.opened_year, f.closed_year,
       f.operator_type, f.attributes, ST_X(f.geom) AS lon, ST_Y(f.geom) AS lat,
       md5(CAST(row(f.*) AS text)) AS state,
       {{feature_json(f)}} AS feature
FROM place_features f
WHERE f.id = :id
