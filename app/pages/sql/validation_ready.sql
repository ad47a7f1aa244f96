-- Whether the priorities page can draw its validation figure (GET /priorities/validation ranks
-- the authorities of the small-area base against an indicator): four authorities and an indicator.
SELECT (SELECT count(DISTINCT utla) FROM analysis_small_areas) >= 4
       AND EXISTS (SELECT 1 FROM indicators WHERE indicator = 'imd_average_score')
