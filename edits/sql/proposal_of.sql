-- One proposal, locked for its moderator's decision.
SELECT id, state, name, category, status, opened_year, closed_year, operator_type, attributes,
       ST_X(geom) AS lon, ST_Y(geom) AS lat
FROM place_proposals WHERE id = :id
FOR UPDATE
