-- One coverage claim for import run :run of :source (places/coverage.py), unless the source already
-- made the same claim (categories, years, extent): a reload records nothing, so it stays a no-op.
-- :shape (EWKT or hex EWKB, any SRID) is stored as a MultiPolygon in EPSG:27700, made valid.
WITH claimed AS (
    SELECT CAST(:categories AS text[]) AS categories, CAST(:first_year AS int) AS first_year,
           CAST(:last_year AS int) AS last_year, CAST(:extent_kind AS text) AS extent_kind,
           CAST(:area_codes AS text[]) AS area_codes,
           ST_Multi(ST_CollectionExtract(ST_MakeValid(ST_Transform(
               CAST(CAST(:shape AS text) AS geometry), 27700)), 3)) AS geom
)
INSERT INTO coverage (import_run_id, source, categories, first_year, last_year, extent_kind,
                      area_codes, geom_27700, basis)
SELECT :run, CAST(:source AS text), c.categories, c.first_year, c.last_year, c.extent_kind, c.area_codes, c.geom, CAST(:basis AS text)
FROM claimed c
WHERE NOT EXISTS (
    SELECT 1 FROM coverage o
    WHERE o.source = CAST(:source AS text) AND o.categories = c.categories AND o.first_year = c.first_year
      AND o.last_year = c.last_year AND o.extent_kind = c.extent_kind
      AND o.area_codes IS NOT DISTINCT FROM c.area_codes
      AND (o.geom_27700 IS NULL AND c.geom IS NULL OR ST_Equals(o.geom_27700, c.geom)))
