-- What a publisher's record {r} (a places row) says of its place, hashed: an edit remembers it
-- (place_edits.based_on) and a reload that changes it supersedes the edit (docs/edits.md).
md5(CAST(row({r}.name, {r}.category, {r}.status, {r}.opened_year, {r}.closed_year, {r}.operator_type,
              {r}.attributes, ST_AsEWKB({r}.geom)) AS text))
