-- A place proposed by the public, waiting for a moderator (never served until accepted).
INSERT INTO place_proposals (client, name, category, status, opened_year, closed_year, operator_type,
                             attributes, geom)
VALUES (:client, :name, :category, :status, :opened_year, :closed_year, :operator_type,
        CAST(:attributes AS jsonb), ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))
RETURNING id
