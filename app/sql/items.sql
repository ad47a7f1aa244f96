-- One GeoJSON Feature per row, as text built by PostGIS: the geometry JSON from ST_AsGeoJSON is
-- concatenated, never parsed and re-encoded. {geometry} (ST_AsGeoJSON of the column in the
-- requested CRS), {properties} (JSON text: built, or stored where the collection keeps it),
-- {table}, {where}, {order_by} and {id} come from the collection registry (app/collections.py)
-- and app/selection.py, never from a request; values are bound.
SELECT '{{"type":"Feature","id":' || to_json({id})::text
    || ',"geometry":' || {geometry}
    || ',"properties":' || {properties}
    || '}}' AS feature
FROM {table} t
WHERE {where}
ORDER BY {order_by}
LIMIT :limit OFFSET :offset
