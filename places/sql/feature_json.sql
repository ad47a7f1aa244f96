-- A place as a GeoJSON Feature (jsonb), for the audit trail: {r} is a row of places or place_features.
jsonb_build_object('type', 'Feature', 'id', {r}.id, 'geometry', CAST(ST_AsGeoJSON({r}.geom, 7) AS jsonb),
                   'properties', jsonb_build_object(
                       'name', {r}.name, 'category', {r}.category, 'status', {r}.status,
                       'opened_year', {r}.opened_year, 'closed_year', {r}.closed_year,
                       'operator_type', {r}.operator_type, 'attributes', {r}.attributes,
                       'source', {r}.source, 'source_ref', {r}.source_ref))
