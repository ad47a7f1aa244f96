-- Shared CTE (spliced after WITH): the measure's codes and values (:codes, :values), one value a
-- code, NULL and NaN left out (validation_units.sql, validation_small_areas.sql).
measure AS (
    SELECT DISTINCT ON (code) code, value
    FROM unnest(CAST(:codes AS text[]), CAST(:values AS float8[])) AS m(code, value)
    WHERE value IS NOT NULL AND value = value  -- not NaN
    ORDER BY code
)
