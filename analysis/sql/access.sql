-- Access per small area: its code and the measures (the scope and the CTEs and definitions are in
-- access_scope.sql and access_ctes.sql). The small area's own columns (name, population, IMD …)
-- are analysis_small_areas'; fetching them here for England cost more than the measures.
WITH {{access_scope}},
{{access_ctes}}
SELECT code, counted, nearest_place_id, nearest_place_name, nearest_place_category, nearest_m,
       count_within, cumulative, fca2, e2sfca, gravity
FROM measured
