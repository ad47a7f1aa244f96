-- The newest loaded periods spending analysis uses: mid-year population and IoD LAD summaries.
SELECT (SELECT max(period) FROM indicators WHERE indicator = 'population') AS population,
       (SELECT max(period) FROM indicators WHERE indicator = 'imd_average_score') AS iod
