-- Every record's country (GSS code), set-based over all records on every places load:
--  1. a located record: the UK 2023 county/unitary (or district) boundary it lies in — the CTYUA
--     or LAD December 2023 boundaries in `areas` — or, just off a generalised coastline, the
--     nearest county/unitary within :coast metres; the code's first letter is its country (E, W, S, N);
--  2. else the country its source states: the list's own country (:list_sources/:list_countries,
--     e.g. the basic dataset is of libraries in England), or the authority a row names
--     (attributes.authority, e.g. the UK list's 'Powys County Council'): a country's name, or a
--     2023 authority of that name once words such as Council, County, Borough, City of are
--     dropped (:aliases_from/:aliases_to give an authority's other name, e.g. its Gaelic one),
--     else a unique 2023 authority whose name starts or ends with it ('Hull' → 'Kingston upon Hull');
--  3. else NULL (nothing says). A planner's records (source 'edits') are left as written.
-- Rows change only where the country differs (reloads stay no-ops).
WITH countries(letter, code, name) AS (
    SELECT left(c, 1), c, n FROM unnest(CAST(:country_codes AS text[]), CAST(:country_names AS text[])) AS x(c, n)),
located AS (
    -- the areas table itself (not a CTE), so its spatial indexes serve each lookup; the counties
    -- and unitaries (generalised 500 m, few vertices) first, the districts (20 m) only where
    -- those miss, then the nearest within :coast metres (COALESCE stops at the first answer)
    SELECT p.id,
           coalesce((SELECT left(b.code, 1) FROM areas b WHERE b.level = 'utla' AND b.vintage = '2023-12'
                       AND ST_Intersects(b.geom, p.geom) ORDER BY b.code LIMIT 1),
                    (SELECT left(b.code, 1) FROM areas b WHERE b.level = 'ltla' AND b.vintage = '2023-12'
                       AND ST_Intersects(b.geom, p.geom) ORDER BY b.code LIMIT 1),
                    (SELECT left(b.code, 1) FROM areas b WHERE b.level = 'utla' AND b.vintage = '2023-12'
                       AND ST_DWithin(b.geom_27700, p.geom_27700, :coast)
                     ORDER BY b.geom_27700 <-> p.geom_27700, b.code LIMIT 1)) AS letter
    FROM places p WHERE p.geom IS NOT NULL),
names AS (  -- an authority's distinctive words, as one run of letters
    SELECT DISTINCT a.authority,
           regexp_replace(regexp_replace(lower(replace(coalesce(x.alias, a.authority), '&', ' and ')),
               '\m(council|county|borough|city|metropolitan|district|corporation|london|royal|of|the|and|upon)\M',
               '', 'g'), '[^a-z]', '', 'g') AS words
    FROM (SELECT DISTINCT attributes ->> 'authority' AS authority FROM places
          WHERE geom IS NULL AND attributes ? 'authority') a
    LEFT JOIN unnest(CAST(:aliases_from AS text[]), CAST(:aliases_to AS text[])) AS x(authority, alias)
           ON lower(x.authority) = lower(a.authority)),
area_words AS (
    SELECT DISTINCT left(code, 1) AS letter,
           regexp_replace(regexp_replace(lower(replace(name, '&', ' and ')),
               '\m(council|county|borough|city|metropolitan|district|corporation|london|royal|of|the|and|upon)\M',
               '', 'g'), '[^a-z]', '', 'g') AS words
    FROM areas WHERE level IN ('ltla', 'utla') AND vintage = '2023-12'),
authorities AS (
    SELECT n.authority,
           coalesce((SELECT c.letter FROM countries c WHERE lower(c.name) = lower(n.authority)),
                    (SELECT min(w.letter) FROM area_words w WHERE w.words = n.words HAVING count(DISTINCT w.letter) = 1),
                    (SELECT min(w.letter) FROM area_words w
                     WHERE length(n.words) >= 4 AND (w.words LIKE n.words || '%' OR w.words LIKE '%' || n.words)
                     HAVING count(DISTINCT w.letter) = 1)) AS letter
    FROM names n),
resolved AS (
    SELECT p.id, coalesce(l.letter, left(s.code, 1), a.letter) AS letter
    FROM places p
    LEFT JOIN located l ON l.id = p.id
    LEFT JOIN unnest(CAST(:list_sources AS text[]), CAST(:list_countries AS text[])) AS s(source, code)
           ON s.source = p.source
    LEFT JOIN authorities a ON a.authority = p.attributes ->> 'authority' AND p.geom IS NULL)
UPDATE places p SET country = c.code
FROM resolved r LEFT JOIN countries c ON c.letter = r.letter
WHERE p.id = r.id AND p.country IS DISTINCT FROM c.code
  -- a planner's records (source 'edits': amendments and places they add) are left as written
  -- (edits/): a load never changes them
  AND p.source <> 'edits' 
