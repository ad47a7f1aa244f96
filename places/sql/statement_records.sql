-- The records the statement-list links are made over (places/statement_links.py): every record
-- of a statement list (:lists, stored without a location) and of the located lists they link to
-- (:linked_to), with its postcode normalised (upper case, letters and digits) and its district
-- (the postcode less its last three characters), and two tie-breaks for 2016:
--   status16 — the located record's status as published (the 2016 list's own), a basic-dataset
--     row's stated 2016 status (its place_status row), or for a UK-list row (:uk) 'closed' when
--     it closed in a known year up to 2016, nothing when it closed in an unknown year, else 'open'
--     when it existed in 2016;
--   existed16 — a row stating 2016, or a UK-list row opened by 2016 (or in no stated year, or
--     reopened after a closure).
WITH r AS (
    SELECT p.id, p.source, p.source || ':' || p.source_ref AS ref, p.name, p.status, p.opened_year,
           p.closed_year,
           nullif(upper(regexp_replace(coalesce(p.attributes ->> 'postcode', ''), '[^A-Za-z0-9]', '', 'g')),
                  '') AS pc,
           (SELECT s.status FROM place_status s WHERE s.place_id = p.id AND s.year = 2016) AS stated16
    FROM places p
    WHERE p.category = 'library' AND (p.source = ANY(%(lists)s) OR p.source = ANY(%(linked_to)s))),
uk AS (
    SELECT r.*, (r.source = %(uk)s AND (r.opened_year IS NULL OR r.opened_year <= 2016
                                        OR (r.status = 'open' AND r.closed_year < r.opened_year))) AS uk_existed16
    FROM r)
SELECT id, source, ref, name, status, pc,
       CASE WHEN length(pc) >= 5 THEN left(pc, length(pc) - 3) END AS district,
       CASE WHEN source = ANY(%(linked_to)s) THEN status
            WHEN source <> %(uk)s THEN stated16
            WHEN status = 'closed' AND closed_year IS NULL THEN NULL
            WHEN status = 'closed' AND closed_year <= 2016 THEN 'closed'
            WHEN uk_existed16 THEN 'open' END AS status16,
       CASE WHEN source = %(uk)s THEN uk_existed16 ELSE stated16 IS NOT NULL END AS existed16
FROM uk
ORDER BY id
