-- One grant tied to a place, as the API shows it (a fragment over g: grants, l: its
-- analysis_grant_places row, r: its grant_place_reviews row or NULL): place_grants.sql and
-- grant_candidates.sql.
json_build_object(
    'identifier', g.identifier, 'title', g.title, 'amount_awarded', g.amount_awarded,
    'currency', g.currency, 'award_date', g.award_date, 'funder_id', g.funder_id,
    'funder_name', g.funder_name, 'programme_title', g.programme_title,
    'recipient_name', g.recipient_name, 'area_code', g.area_code, 'basis', l.basis,
    'matched', l.matched, 'name_score', l.score,
    'distance_m', round(CAST(l.distance_m AS numeric), 1),
    'review', CASE WHEN r.state IS NOT NULL THEN json_build_object(
        'state', r.state, 'decided_at', r.decided_at, 'reason', r.reason) END)
