-- The pending reviews follow this grouping's undecided pairs (temp table review_now): new ones
-- listed, changed ones updated, those no longer undecided (the records changed) dropped;
-- decided rows are kept whatever happens (they are the decisions).
WITH gone AS (
    DELETE FROM place_reviews r WHERE r.state = 'pending'
      AND NOT EXISTS (SELECT 1 FROM review_now n WHERE n.ref_a = r.ref_a AND n.ref_b = r.ref_b))
INSERT INTO place_reviews (ref_a, ref_b, rule, distance, score)
SELECT ref_a, ref_b, rule, distance, score FROM review_now
ON CONFLICT (ref_a, ref_b) DO UPDATE SET rule = EXCLUDED.rule, distance = EXCLUDED.distance, score = EXCLUDED.score
WHERE place_reviews.state = 'pending'
  AND (place_reviews.rule, place_reviews.distance, place_reviews.score)
      IS DISTINCT FROM (EXCLUDED.rule, EXCLUDED.distance, EXCLUDED.score)
