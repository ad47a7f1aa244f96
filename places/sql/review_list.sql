-- Reviews in one state, as JSON: the pair, why it is doubtful, and each record as stored (its
-- place, name, category, status, point), oldest listed first.
SELECT json_build_object(
    'id', r.id, 'state', r.state, 'rule', r.rule, 'distance_m', round(r.distance::numeric, 1),
    'name_score', round(r.score::numeric), 'listed_at', r.listed_at, 'decided_at', r.decided_at,
    'reason', r.reason,
    'records', (SELECT json_agg(json_build_object(
                    'ref', p.source || ':' || p.source_ref, 'place', coalesce(p.merged_into, p.id),
                    'name', p.name, 'category', p.category, 'status', p.status,
                    'coordinates', json_build_array(round(ST_X(p.geom)::numeric, 6), round(ST_Y(p.geom)::numeric, 6)))
                    ORDER BY p.source, p.source_ref)
                FROM places p WHERE p.source || ':' || p.source_ref IN (r.ref_a, r.ref_b)))
FROM place_reviews r
WHERE r.state = :state
ORDER BY r.listed_at, r.id
LIMIT :limit OFFSET :offset
