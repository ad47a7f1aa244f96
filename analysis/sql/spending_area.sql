-- The comparable unit holding :code: a 2023 UTLA, an abolished predecessor or a district
-- (current or abolished) lying in one; or :code itself when it is the region (E12…) of a unit.
WITH {{spending_units}}
SELECT unit FROM authority WHERE code = :code
UNION ALL
SELECT region FROM units WHERE region = :code
LIMIT 1
