    -- District (lower-tier) code → the English 2023 UTLA it lies in, as the lookups record it:
    -- directly, or through the current district that replaced an abolished one (drkane's
    -- LADCD → LADCD_ACTIVE, e.g. Allerdale → Cumberland).
    SELECT code, parent_code AS utla FROM area_lookups
    WHERE level = 'ltla' AND parent_level = 'utla' AND parent_code LIKE 'E%'
    UNION
    SELECT a.code, u.parent_code FROM area_lookups a
    JOIN area_lookups u ON u.code = a.parent_code AND u.level = 'ltla' AND u.parent_level = 'utla'
    WHERE a.level = 'ltla' AND a.parent_level = 'ltla' AND u.parent_code LIKE 'E%'
