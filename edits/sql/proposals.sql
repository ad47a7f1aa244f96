-- Proposals in one state, oldest first, as GeoJSON Features (the client's hash is never shown).
SELECT coalesce(json_agg(json_build_object(
           'type', 'Feature', 'id', p.id, 'geometry', CAST(ST_AsGeoJSON(p.geom, 7) AS json),
           'properties', json_build_object(
               'name', p.name, 'category', p.category, 'status', p.status, 'opened_year', p.opened_year,
               'closed_year', p.closed_year, 'operator_type', p.operator_type, 'attributes', p.attributes,
               'state', p.state, 'submitted_at', p.submitted_at, 'decided_at', p.decided_at,
               'reason', p.reason, 'place_id', p.place_id)) ORDER BY p.id), '[]')
FROM (SELECT * FROM place_proposals WHERE state = :state ORDER BY id LIMIT :limit) p
