-- The newest vintage of authority boundaries loaded: the map's base layer draws that one only,
-- so authorities loaded in several vintages are not drawn twice.
SELECT max(vintage) FROM areas WHERE level IN ('utla', 'ltla')
