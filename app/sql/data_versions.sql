-- The data version of an answer (app/caching.py): the change counters of the tables behind it
-- (:tables), as one text, e.g. "place_edits=3,places=41"; '' when none was ever written.
SELECT coalesce(string_agg(table_name || '=' || version, ',' ORDER BY table_name), '') AS version
FROM data_versions WHERE table_name = ANY(:tables)
