-- Access per small area (the scope and the CTEs and definitions are in access_scope.sql and
-- access_ctes.sql).
WITH {{access_scope}},
{{access_ctes}}
SELECT * FROM measured
