-- Keep the answer :name computed on the data versions :versions (analysis/answers.py).
INSERT INTO analysis_answers (name, versions, body) VALUES (:name, :versions, :body)
ON CONFLICT (name) DO UPDATE SET versions = excluded.versions, body = excluded.body
