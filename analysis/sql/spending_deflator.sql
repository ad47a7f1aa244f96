-- The newest HM Treasury deflator table loaded (the highest base year: gdp_deflator_2023_24 beats
-- gdp_deflator_2022_23) and the index of the price year: :year, or the table's newest year.
WITH newest AS (
    SELECT indicator FROM indicators
    WHERE area_code = :area AND indicator LIKE 'gdp\_deflator\_%'
    ORDER BY indicator DESC LIMIT 1
)
SELECT n.indicator, i.period, i.value
FROM newest n
LEFT JOIN LATERAL (
    SELECT period, value FROM indicators
    WHERE area_code = :area AND indicator = n.indicator AND value IS NOT NULL
      AND (CAST(:year AS text) IS NULL OR period = :year)
    ORDER BY period DESC LIMIT 1
) i ON true
