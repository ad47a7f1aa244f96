-- Access per small area (the CTEs and definitions are in access_ctes.sql).
WITH {{access_ctes}}
SELECT * FROM measured
