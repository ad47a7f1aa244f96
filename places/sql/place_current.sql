-- place_current: what the places collection serves of each place that more than its canonical
-- record decides, stored so place_features reads columns (models/places.py PlaceCurrent):
--  status:  the place's latest year in place_years; a live planner edit: the edit's status; a
--           place with no resolved year (building footprints only): its record's;
--  sources: every record of the place (the canonical one and those merged into it), as published;
--  properties: the feature's properties as JSON, in the order and spelling of app/collections.py's
--           `places` (over t: the place as place_features serves it, with this status and sources),
--           and :properties_key, the key of the registry that built it (a page serves the JSON only
--           while its key is the running registry's).
-- Run after place_years by every load that changes places (places/refresh.py places_changed,
-- :place NULL: every place) and by every edit for its place (edits/places.py, :place). Written
-- as a difference (a reload that changes nothing writes no row); a record no longer a place (now
-- merged into another) loses its row. Answers (written, removed).
WITH latest AS (
    SELECT DISTINCT ON (place_id) place_id, status FROM place_years
    WHERE CAST(:place AS bigint) IS NULL OR place_id = :place
    ORDER BY place_id, year DESC),
records AS (
    SELECT coalesce(r.merged_into, r.id) AS place_id,
           jsonb_agg(jsonb_build_object('source', r.source, 'source_ref', r.source_ref,
                                        'name', r.name, 'status', r.status)
                     ORDER BY r.source, r.source_ref) AS sources
    FROM places r
    WHERE CAST(:place AS bigint) IS NULL OR r.id = :place OR r.merged_into = :place
    GROUP BY 1),
served AS (
    SELECT t.id AS place_id, t.current_status AS status, t.sources, {properties} AS properties
    FROM (SELECT f.id, f.name, f.category, f.status, f.opened_year, f.closed_year, f.operator_type,
                 f.source, f.source_ref, f.attributes, f.country,
                 CASE WHEN f.edited THEN f.status ELSE coalesce(l.status, f.status) END AS current_status,
                 r.sources
          FROM place_features f
          JOIN records r ON r.place_id = f.id
          LEFT JOIN latest l ON l.place_id = f.id
          WHERE CAST(:place AS bigint) IS NULL OR f.id = :place) t),
removed AS (
    DELETE FROM place_current c
    WHERE (CAST(:place AS bigint) IS NULL OR c.place_id = :place)
      AND NOT EXISTS (SELECT 1 FROM served s WHERE s.place_id = c.place_id)
    RETURNING 1),
written AS (
    INSERT INTO place_current (place_id, status, sources, properties, properties_key)
    SELECT place_id, status, sources, properties, :properties_key FROM served
    ON CONFLICT (place_id) DO UPDATE
        SET status = EXCLUDED.status, sources = EXCLUDED.sources, properties = EXCLUDED.properties,
            properties_key = EXCLUDED.properties_key
        WHERE (place_current.status, place_current.sources, CAST(place_current.properties AS text),
               place_current.properties_key)
              IS DISTINCT FROM (EXCLUDED.status, EXCLUDED.sources, CAST(EXCLUDED.properties AS text),
                                EXCLUDED.properties_key)
    RETURNING 1)
SELECT (SELECT count(*) FROM written) AS written, (SELECT count(*) FROM removed) AS removed
