CASE WHEN m.counted IS NULL THEN 'not_covered'
     WHEN cardinality(m.counted) < cardinality(CAST(:categories AS text[])) THEN 'partial'
     ELSE 'covered' END