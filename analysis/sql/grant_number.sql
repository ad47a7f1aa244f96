-- A charity or company number as compared (a fragment: {r} is the column): no spaces, upper
-- case, leading zeros dropped (Companies House writes 01234567, others 1234567).
NULLIF(ltrim(upper(regexp_replace({r}, '\s', '', 'g')), '0'), '')
