-- What coverage says of a request (analysis/coverage.py `known`): the :categories covered in some
-- small area of the scope (access_scope.sql's binds; and in :utlas / :regions when given, as
-- gap_selection.sql) in every one of :years (each found by its
-- first hit on analysis_coverage's key), whether the scope holds any small area, and for each of
-- :categories the years some claim covers.
WITH {{access_scope}}
SELECT (SELECT array_agg(wanted ORDER BY wanted) FROM unnest(CAST(:categories AS text[])) wanted
        WHERE EXISTS (SELECT 1 FROM analysis_coverage c JOIN scoped s USING (code)
                      WHERE c.category = wanted
                        AND (CAST(:utlas AS text[]) IS NULL OR s.utla = ANY(CAST(:utlas AS text[])))
                        AND (CAST(:regions AS text[]) IS NULL OR s.region = ANY(CAST(:regions AS text[])))
                        AND c.years @> ALL(SELECT int4range(y, y, '[]') FROM unnest(CAST(:years AS int[])) y)))
           AS covered,
       EXISTS (SELECT 1 FROM scoped s
               WHERE (CAST(:utlas AS text[]) IS NULL OR s.utla = ANY(CAST(:utlas AS text[])))
                 AND (CAST(:regions AS text[]) IS NULL OR s.region = ANY(CAST(:regions AS text[])))) AS any_small_area,
       (SELECT json_object_agg(category, years)::text FROM (
            SELECT category, array_agg(DISTINCT y ORDER BY y) AS years
            FROM coverage c CROSS JOIN LATERAL unnest(c.categories) category
            CROSS JOIN LATERAL generate_series(c.first_year, c.last_year) y
            WHERE category = ANY(CAST(:categories AS text[]))
            GROUP BY category) k) AS known_years
