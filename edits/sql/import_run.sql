-- The import run of one write through the API (an edit, an accepted proposal): every record a
-- write makes carries it, as every loaded record carries its load's.
WITH source AS (
    INSERT INTO sources (key, title, publisher, licence)
    VALUES (:source, :title, 'kindmap API key holders', 'As agreed with the operator of this kindmap')
    ON CONFLICT (key) DO NOTHING RETURNING id)
INSERT INTO import_runs (source_id, kind, file_name, file_sha256, options, finished_at, rows_read)
SELECT coalesce((SELECT id FROM source), (SELECT id FROM sources WHERE key = :source)),
       :kind, :request, :sha256, CAST(:options AS jsonb), now(), 1
RETURNING id
