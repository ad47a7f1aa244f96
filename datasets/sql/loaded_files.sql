-- Every file the database holds rows from: its name and SHA-256 as each import run recorded them,
-- with the newest run of that content (a reload of an unchanged file records no new run).
SELECT r.file_name, r.file_sha256, max(r.id) AS run_id, max(r.finished_at) AS loaded_at
FROM import_runs r
WHERE r.finished_at IS NOT NULL
GROUP BY r.file_name, r.file_sha256
