-- Insert or update a record written through the API (source :source, source_ref :source_ref):
-- a planner's own place, the edit record amending a publisher's, or an accepted proposal; its
-- :country is the one its point lies in (edits.places.country_of), as a load sets a publisher's.
INSERT INTO places (name, category, status, opened_year, closed_year, operator_type, source, source_ref,
                    attributes, geom, import_run_id, merged_into, updated_at, country)
VALUES (:name, :category, :status, :opened_year, :closed_year, :operator_type, :source, :source_ref,
        CAST(:attributes AS jsonb), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326), :run, :merged_into,
        clock_timestamp(), :country)
ON CONFLICT (source, source_ref) DO UPDATE SET
    name = EXCLUDED.name, category = EXCLUDED.category, status = EXCLUDED.status,
    opened_year = EXCLUDED.opened_year, closed_year = EXCLUDED.closed_year,
    operator_type = EXCLUDED.operator_type, attributes = EXCLUDED.attributes, geom = EXCLUDED.geom,
    import_run_id = EXCLUDED.import_run_id, merged_into = EXCLUDED.merged_into,
    updated_at = EXCLUDED.updated_at, country = EXCLUDED.country
RETURNING id
