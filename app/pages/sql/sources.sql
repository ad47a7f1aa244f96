-- Every loaded source with its licence and the files loaded from it (newest load first).
SELECT s.key, s.title, s.publisher, s.licence, s.url,
       json_agg(json_build_object('kind', r.kind, 'file', r.file_name, 'sha256', r.file_sha256,
                                  'loaded', to_char(r.finished_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
                                  'rows', r.rows_new + r.rows_changed)
                ORDER BY r.finished_at DESC) AS files,
       array_agg(DISTINCT r.kind) AS kinds
FROM sources s
JOIN import_runs r ON r.source_id = s.id
WHERE r.finished_at IS NOT NULL
GROUP BY s.id
ORDER BY s.title
