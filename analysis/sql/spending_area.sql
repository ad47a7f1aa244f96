-- The comparable unit holding :code: a 2023 UTLA, an abolished predecessor or a district
-- (current or abolished) lying in one.
WITH {{spending_units}}
SELECT unit FROM authority WHERE code = :code
LIMIT 1
