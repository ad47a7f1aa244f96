-- One GeoJSON Feature per row, as text built by PostGIS: the geometry JSON from ST_AsGeoJSON is
-- concatenated, never parsed and re-encoded. {properties}, {table}, {where}, {order_by} and
-- {id} come from the collection registry (app/collections.py), never from a request.
SELECT '{{"type":"Feature","id":' || to_json({id})::text
    || ',"geometry":' || ST_AsGeoJSON({geometry}, :precision)
    || ',"properties":' || json_build_object({properties})::text
    || '}}' AS feature
FROM {table} t
WHERE {where}
ORDER BY {order_by}
LIMIT :limit OFFSET :offset
