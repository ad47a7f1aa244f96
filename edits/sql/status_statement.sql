-- A status the API was told, as a dated statement of the record written (place_status).
INSERT INTO place_status (place_id, year, status, operator_type, import_run_id)
VALUES (:record, :year, :status, :operator_type, :run)
ON CONFLICT (place_id, year) DO UPDATE SET status = EXCLUDED.status,
    operator_type = EXCLUDED.operator_type, import_run_id = EXCLUDED.import_run_id
