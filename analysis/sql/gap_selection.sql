-- The small areas /priorities scores (the `scoped` of access_ctes.sql): those in :utlas and
-- :regions (NULL = every one).
scoped AS (
    SELECT s.* FROM analysis_small_areas s
    WHERE (CAST(:utlas AS text[]) IS NULL OR s.utla = ANY(CAST(:utlas AS text[])))
      AND (CAST(:regions AS text[]) IS NULL OR s.region = ANY(CAST(:regions AS text[])))
)
