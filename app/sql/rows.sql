-- One row per feature, one column per property (downloads: CSV by COPY, GeoPackage by GDAL).
-- {columns}, {table}, {where} and {order_by} come from the collection registry and
-- app/selection.py, never from a request; values are bound.
SELECT {columns}
FROM {table} t
WHERE {where}
ORDER BY {order_by}
LIMIT :limit OFFSET :offset
