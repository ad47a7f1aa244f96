-- Records of an OpenStreetMap source inside an extract's box that the extract no longer has
-- (:refs, what it holds): gone from OpenStreetMap, so closed, in the extract's year. Records
-- already closed are left as they are, so a re-load changes nothing.
UPDATE places p
SET status = 'closed', closed_year = :year, import_run_id = :run, updated_at = now()
WHERE p.source = :source
  AND p.status <> 'closed'
  AND p.category = ANY(CAST(:categories AS text[]))
  AND p.geom && ST_MakeEnvelope(:west, :south, :east, :north, 4326)
  AND NOT (p.source_ref = ANY(CAST(:refs AS text[])))
