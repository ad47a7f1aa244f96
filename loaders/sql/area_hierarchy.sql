-- Rebuild area_hierarchy from what is stored: every English LSOA 2011/2021 and 2023 authority →
-- its 2023-12 LTLA, UTLA, region and country. Run inside a boundary, lookup or centroid load.
-- Rules, in order (docs/rollups.md says why):
--   authority codes are "current" when they are 2023-12 boundaries; an older code reaches the
--   current one through a published successor link (LADCD → LADCD_ACTIVE: Allerdale → Cumberland);
--   an authority's region/country is its own link's, else its successor's (Barnsley E08000016 is
--   linked to a region only through E08000038), else its UTLA's / its LTLAs';
--   an LSOA 2021's LTLA is its lookup's LAD (made current), else its UTLA when that is also an
--   LTLA (unitary), else the LTLA of its UTLA whose name its ONS name starts with ("Cherwell 012E"
--   — the LSOAs that splits created are missing from the best-fit LSOA11→21→LAD lookup);
--   an LSOA 2011 takes the hierarchy of its LSOA 2021 successor (else of the same code in 2021).
-- Statements are separated by a semicolon at the end of a line.

DROP TABLE IF EXISTS hierarchy_links, hierarchy_current, hierarchy_resolved, hierarchy_authority,
    hierarchy_lsoa21, hierarchy_new, hierarchy_incomplete, hierarchy_complete;

-- Every published child → parent link: lookups, and the parent fields boundary files carry.
CREATE TEMP TABLE hierarchy_links ON COMMIT DROP AS
SELECT code, level, vintage, parent_code, parent_level, parent_vintage, name FROM area_lookups
UNION ALL
SELECT a.code, a.level, CASE WHEN a.level = 'lsoa' THEN a.vintage END, p.value, p.key, NULL,
       CASE WHEN a.level = 'lsoa' THEN a.name END
FROM areas a CROSS JOIN LATERAL jsonb_each_text(a.parent_codes) p
WHERE a.code LIKE 'E%' AND a.level IN ('lsoa', 'ltla', 'utla');
CREATE INDEX ON hierarchy_links (code, parent_level);
ANALYZE hierarchy_links;

CREATE TEMP TABLE hierarchy_current ON COMMIT DROP AS
SELECT level, code, name FROM areas
WHERE vintage = '2023-12' AND level IN ('ltla', 'utla') AND code LIKE 'E%';

-- Any authority code → the current code of a level: itself, else a successor that is current.
CREATE TEMP TABLE hierarchy_resolved ON COMMIT DROP AS
SELECT DISTINCT ON (code, level) code, level, now FROM (
    SELECT code, level, code AS now, 0 AS step FROM hierarchy_current
    UNION ALL
    SELECT s.code, c.level, c.code, 1 FROM hierarchy_links s
    JOIN hierarchy_current c ON c.code = s.parent_code
    WHERE s.parent_level = s.level AND s.level <> 'lsoa'
) r ORDER BY code, level, step, now;

-- Current authorities with their UTLA, region and country.
CREATE TEMP TABLE hierarchy_authority ON COMMIT DROP AS
WITH own_or_successor AS (  -- the codes whose links speak for a current authority
    SELECT code, code AS via, 0 AS step FROM hierarchy_current
    UNION
    SELECT c.code, s.parent_code, 1 FROM hierarchy_current c
    JOIN hierarchy_links s ON s.code = c.code AND s.parent_level = s.level
),
linked AS (
    SELECT DISTINCT ON (v.code, k.parent_level) v.code, k.parent_level, k.parent_code
    FROM own_or_successor v JOIN hierarchy_links k ON k.code = v.via
    WHERE k.parent_level IN ('region', 'country')
    ORDER BY v.code, k.parent_level, v.step, k.parent_code
),
ltla_utla AS (
    SELECT DISTINCT ON (c.code) c.code, r.now AS utla
    FROM hierarchy_current c
    JOIN hierarchy_links k ON k.code = c.code AND k.parent_level = 'utla'
    JOIN hierarchy_resolved r ON r.code = k.parent_code AND r.level = 'utla'
    WHERE c.level = 'ltla'
    ORDER BY c.code, r.now
),
tiers AS (  -- each current LTLA with its UTLA (a unitary is its own)
    SELECT c.code AS ltla, COALESCE(lu.utla, u.code) AS utla
    FROM hierarchy_current c
    LEFT JOIN ltla_utla lu ON lu.code = c.code
    LEFT JOIN hierarchy_current u ON u.level = 'utla' AND u.code = c.code
    WHERE c.level = 'ltla'
),
placed AS (  -- own links first, then the other tier's
    SELECT c.level, c.code,
           CASE WHEN c.level = 'ltla' THEN c.code ELSE (SELECT t.ltla FROM tiers t WHERE t.ltla = c.code) END AS ltla,
           CASE WHEN c.level = 'utla' THEN c.code ELSE (SELECT t.utla FROM tiers t WHERE t.ltla = c.code) END AS utla
    FROM hierarchy_current c
)
SELECT p.level, p.code, p.ltla, p.utla,
       COALESCE(own_r.parent_code, ut_r.parent_code,
                (SELECT min(x.parent_code) FROM tiers t JOIN linked x ON x.code = t.ltla
                 AND x.parent_level = 'region' WHERE t.utla = p.code)) AS region,
       COALESCE(own_c.parent_code, ut_c.parent_code,
                (SELECT min(x.parent_code) FROM tiers t JOIN linked x ON x.code = t.ltla
                 AND x.parent_level = 'country' WHERE t.utla = p.code)) AS country
FROM placed p
LEFT JOIN linked own_r ON own_r.code = p.code AND own_r.parent_level = 'region'
LEFT JOIN linked ut_r ON ut_r.code = p.utla AND ut_r.parent_level = 'region'
LEFT JOIN linked own_c ON own_c.code = p.code AND own_c.parent_level = 'country'
LEFT JOIN linked ut_c ON ut_c.code = p.utla AND ut_c.parent_level = 'country';
ANALYZE hierarchy_authority;

-- LSOA 2021: every code some lookup, boundary or centroid names as an English LSOA 2021.
CREATE TEMP TABLE hierarchy_lsoa21 ON COMMIT DROP AS
WITH codes AS (
    SELECT code FROM hierarchy_links WHERE level = 'lsoa' AND vintage = '2021-12'
    UNION SELECT parent_code FROM hierarchy_links WHERE parent_level = 'lsoa' AND parent_vintage = '2021-12'
    UNION SELECT code FROM areas WHERE level = 'lsoa' AND vintage = '2021-12'
    UNION SELECT code FROM centroids WHERE vintage = '2021-12' AND code LIKE 'E01%'
),
links AS (  -- an LSOA 2021's links (a link of unstated vintage counts for 2021)
    SELECT * FROM hierarchy_links
    WHERE level = 'lsoa' AND (vintage = '2021-12' OR vintage IS NULL) AND code LIKE 'E%'
),
linked AS (
    SELECT k.code, min(r.now) FILTER (WHERE r.level = 'ltla') AS ltla,
           min(r.now) FILTER (WHERE r.level = 'utla') AS utla
    FROM links k JOIN hierarchy_resolved r ON r.code = k.parent_code AND r.level = k.parent_level
    GROUP BY k.code
),
named AS (SELECT code, min(name) AS name FROM links WHERE name IS NOT NULL GROUP BY code),
found AS (
    SELECT c.code, l.ltla, l.utla, n.name
    FROM codes c LEFT JOIN linked l USING (code) LEFT JOIN named n USING (code)
    WHERE c.code LIKE 'E%'
)
SELECT f.code,
       COALESCE(f.ltla, unitary.code, by_name.ltla) AS ltla,
       COALESCE(f.utla, a.utla) AS utla
FROM found f
LEFT JOIN hierarchy_current unitary ON unitary.level = 'ltla' AND unitary.code = f.utla
LEFT JOIN LATERAL (
    SELECT a.code AS ltla FROM hierarchy_current l JOIN hierarchy_authority a
      ON a.level = 'ltla' AND a.code = l.code
    WHERE l.level = 'ltla' AND a.utla = f.utla
      AND l.name = regexp_replace(f.name, '\s+[0-9]{3}[A-Z]$', '')
) by_name ON f.ltla IS NULL AND unitary.code IS NULL
LEFT JOIN hierarchy_authority a ON a.level = 'ltla' AND a.code = COALESCE(f.ltla, unitary.code, by_name.ltla);
ANALYZE hierarchy_lsoa21;

CREATE TEMP TABLE hierarchy_new ON COMMIT DROP AS
SELECT 'lsoa'::text AS level, s.code, '2021-12'::text AS vintage, s.ltla, s.utla, a.region, a.country
FROM hierarchy_lsoa21 s LEFT JOIN hierarchy_authority a ON a.level = 'ltla' AND a.code = s.ltla
UNION ALL
-- LSOA 2011: the hierarchy of its successor LSOA 2021 (best fit), else of the same code in 2021.
SELECT 'lsoa', o.code, '2011-12', s.ltla, s.utla, a.region, a.country
FROM (
    SELECT code FROM hierarchy_links WHERE level = 'lsoa' AND vintage = '2011-12'
    UNION SELECT parent_code FROM hierarchy_links WHERE parent_level = 'lsoa' AND parent_vintage = '2011-12'
    UNION SELECT code FROM areas WHERE level = 'lsoa' AND vintage = '2011-12'
    UNION SELECT code FROM centroids WHERE vintage = '2011-12' AND code LIKE 'E01%'
) o
LEFT JOIN (
    SELECT code, min(parent_code) AS lsoa21 FROM hierarchy_links
    WHERE level = 'lsoa' AND vintage = '2011-12' AND parent_level = 'lsoa' AND parent_vintage = '2021-12'
    GROUP BY code
) successor USING (code)
LEFT JOIN hierarchy_lsoa21 s ON s.code = COALESCE(successor.lsoa21, o.code)
LEFT JOIN hierarchy_authority a ON a.level = 'ltla' AND a.code = s.ltla
WHERE o.code LIKE 'E%'
UNION ALL
SELECT level, code, '2023-12', ltla, utla, region, country FROM hierarchy_authority;

-- Rows that cannot be placed completely are left out and counted (the loader reports them).
CREATE TEMP TABLE hierarchy_incomplete ON COMMIT DROP AS
SELECT level, code, vintage FROM hierarchy_new
WHERE utla IS NULL OR region IS NULL OR country IS NULL OR (ltla IS NULL AND NOT (level = 'utla' AND code = utla));

-- What area_hierarchy becomes, keyed and analysed so the merge into it is two hash joins.
CREATE TEMP TABLE hierarchy_complete ON COMMIT DROP AS
SELECT * FROM hierarchy_new
WHERE utla IS NOT NULL AND region IS NOT NULL AND country IS NOT NULL
  AND (ltla IS NOT NULL OR (level = 'utla' AND code = utla));
ALTER TABLE hierarchy_complete ADD PRIMARY KEY (level, code, vintage);
ANALYZE hierarchy_complete;
