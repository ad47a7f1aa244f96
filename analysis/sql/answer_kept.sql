-- The stored answer :name, only while the data versions it was computed on (:versions) hold.
SELECT body FROM analysis_answers WHERE name = :name AND versions = :versions
