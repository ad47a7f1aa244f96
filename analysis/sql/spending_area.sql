-- The English 2023 upper-tier authority holding :code: the UTLA itself, or the UTLA a district
-- (current or abolished) lies in.
WITH district_utla AS (
{district_utla}
)
SELECT utla FROM area_hierarchy WHERE utla = :code AND utla LIKE 'E%'
UNION
SELECT utla FROM district_utla WHERE code = :code
LIMIT 1
