-- How many proposals a client sent in the last :window seconds, and the seconds until the oldest
-- of them leaves the window (the Retry-After of a refusal). Counted in the database, so the limit
-- holds across workers and servers; the caller holds the client's advisory lock.
SELECT count(*) AS sent,
       coalesce(ceil(extract(epoch FROM min(submitted_at) + make_interval(secs => :window) - now())), 0) AS wait
FROM place_proposals
WHERE client = :client AND submitted_at > now() - make_interval(secs => :window)
