-- The measure (:codes, :values) on the small areas the index ranks at level=lsoa
-- (analysis_small_areas): an LSOA's own code, else the LSOA of the other census the published
-- best-fit lookup links it with (LSOA 2011 → 2021, either way; the first by code). Only LSOA
-- codes count: a district's value given to each of its LSOAs would compare districts, not areas.
WITH {{validation_measure}},
linked AS (
    SELECT code AS small_area, parent_code AS other FROM area_lookups WHERE level = 'lsoa' AND parent_level = 'lsoa'
    UNION
    SELECT parent_code, code FROM area_lookups WHERE level = 'lsoa' AND parent_level = 'lsoa'
)
SELECT DISTINCT ON (s.code) s.code, coalesce(own.value, other.value) AS value
FROM analysis_small_areas s
LEFT JOIN measure own ON own.code = s.code
LEFT JOIN linked k ON own.code IS NULL AND k.small_area = s.code
LEFT JOIN measure other ON other.code = k.other
WHERE coalesce(own.value, other.value) IS NOT NULL
ORDER BY s.code, other.code
