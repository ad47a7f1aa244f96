-- The gap score of rows with need/access/loss/spending parts (spliced into gap_small_areas.sql and
-- gap_authorities.sql as `scored`): the weighted mean of the parts that have a value, weights
-- :w_need, :w_access, :w_loss, :w_spending; `driver` names the part adding most to it. A row where
-- no category asked is known (`counted` NULL: access and loss not_covered) has no score: need and
-- spending alone are not a gap in places kindmap cannot see, so it is not ranked.
scored AS (
    SELECT g.*, CASE WHEN g.counted IS NOT NULL THEN t.weighted / nullif(t.weights, 0) END AS gap_score,
           (SELECT part FROM (VALUES ('need', :w_need * g.need_part), ('access', :w_access * g.access_part),
                                     ('loss', :w_loss * g.loss_part), ('spending', :w_spending * g.spending_part)) v(part, x)
            WHERE x IS NOT NULL ORDER BY x DESC, part LIMIT 1) AS driver
    FROM graded g
    CROSS JOIN LATERAL (
        SELECT coalesce(:w_need * g.need_part, 0) + coalesce(:w_access * g.access_part, 0)
               + coalesce(:w_loss * g.loss_part, 0) + coalesce(:w_spending * g.spending_part, 0) AS weighted,
               CASE WHEN g.need_part IS NULL THEN 0 ELSE :w_need END
               + CASE WHEN g.access_part IS NULL THEN 0 ELSE :w_access END
               + CASE WHEN g.loss_part IS NULL THEN 0 ELSE :w_loss END
               + CASE WHEN g.spending_part IS NULL THEN 0 ELSE :w_spending END AS weights
    ) t
)
