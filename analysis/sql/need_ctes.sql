-- The need part per small area of `measured` (access_ctes.sql), as the user chose it
-- (analysis/need.py): terms :need_names (imd, or an indicator name), :need_signs (+1: a high
-- value is more need, -1: a low one), :need_weights. An indicator term is its newest period's
-- percent rank among every area holding it (1 = the most need); a small area takes the value of
-- its own code, else of its 2023 district, else of its upper-tier authority. imd is
-- 1 - (rank - 1) / (ranks - 1) of the IMD 2019 rank (`ranks`, gap_parts.sql). need_part is the
-- weighted mean of the terms with a value.
need_terms AS (
    SELECT * FROM unnest(CAST(:need_names AS text[]), CAST(:need_signs AS int[]),
                         CAST(:need_weights AS float8[])) AS t(name, sign, weight)
),
need_values AS MATERIALIZED (
    SELECT i.indicator, i.area_code, percent_rank() OVER (PARTITION BY i.indicator ORDER BY i.value * t.sign) AS part
    FROM need_terms t
    CROSS JOIN LATERAL (SELECT max(period) AS period FROM indicators WHERE indicator = t.name) p
    JOIN indicators i ON i.indicator = t.name AND i.period = p.period AND i.value IS NOT NULL
    WHERE t.name <> 'imd'
),
need_of AS (
    SELECT m.code,
           sum(t.weight * x.part) / nullif(sum(t.weight) FILTER (WHERE x.part IS NOT NULL), 0) AS need_part
    FROM measured m CROSS JOIN ranks r CROSS JOIN need_terms t
    LEFT JOIN need_values a ON a.indicator = t.name AND a.area_code = m.code
    LEFT JOIN need_values b ON b.indicator = t.name AND b.area_code = m.ltla
    LEFT JOIN need_values c ON c.indicator = t.name AND c.area_code = m.utla
    CROSS JOIN LATERAL (
        SELECT CASE WHEN t.name = 'imd' THEN 1 - (m.imd_rank - 1)::float8 / greatest(r.n - 1, 1)
                    ELSE coalesce(a.part, b.part, c.part) END AS part) x
    GROUP BY m.code
)
