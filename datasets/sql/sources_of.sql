-- The import runs whose rows are in {table}, found by a loose index scan of its import_run_id index
-- (one index probe per distinct run, not a pass over every row), with their file's SHA-256 and
-- their source's publisher and licence. {table} is a table name from the models, never a parameter.
WITH RECURSIVE runs(id) AS (
    (SELECT import_run_id FROM {table} ORDER BY import_run_id LIMIT 1)
    UNION ALL
    SELECT (SELECT t.import_run_id FROM {table} t WHERE t.import_run_id > runs.id
            ORDER BY t.import_run_id LIMIT 1)
    FROM runs WHERE runs.id IS NOT NULL
)
SELECT r.file_sha256, s.key, s.publisher, s.licence, s.url
FROM runs JOIN import_runs r ON r.id = runs.id JOIN sources s ON s.id = r.source_id
