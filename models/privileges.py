"""What the API's database role may write: the one list least-privilege role setup grants.

The API (``kindmap serve``) reads everything it serves; it writes only what its routes write.
Each entry is ``"<TABLE|SEQUENCE|FUNCTION> <name>": "<privileges>"``, ready for
``GRANT <privileges> ON <TABLE|SEQUENCE|FUNCTION> <name> TO <api role>``; anything not listed here the
API role may only SELECT. Add a row here in the same commit as a route that writes a new table.
``UPDATE (a, b)`` limits an update to those columns. store/privileges.py applies this after every
migration and restore; tests/test_roles.py checks the role can write nothing else.
"""

# what an edit or an accepted proposal sets on its own places record (edits/sql/write_record.sql)
PLACE_VALUES = ("name", "category", "status", "opened_year", "closed_year", "operator_type", "attributes",
                "geom", "import_run_id", "merged_into", "updated_at", "country")

API_WRITES: dict[str, str] = {
    # store/keys.py authenticate(): last_used_at of the key presented (that column only: the API
    # must never change a key's scopes)
    "TABLE api_keys": "UPDATE (last_used_at)",
    # edits/ (app/routers/edits.py): an edit is a source record with its own import run
    "TABLE sources": "INSERT",  # the source 'edits' / 'proposals', the first time (ON CONFLICT DO NOTHING)
    "SEQUENCE sources_id_seq": "USAGE",
    "TABLE import_runs": "INSERT",
    "SEQUENCE import_runs_id_seq": "USAGE",
    # records of source edits/proposals only: row-level security (migration 0014) refuses any other
    # row; the columns edits/sql/write_record.sql writes (never id, and source/source_ref only new)
    "TABLE places": "INSERT (" + ", ".join(("source", "source_ref") + PLACE_VALUES) + "), "
                    "UPDATE (" + ", ".join(PLACE_VALUES) + ")",
    "SEQUENCE places_id_seq": "USAGE",
    "TABLE place_edits": "INSERT, UPDATE",
    # row-level security (migration 0021): statements of the API's own records only; years and
    # served status only of a place an edit record is (or is merged into): publishers' are read-only
    "TABLE place_status": "INSERT, UPDATE",
    "TABLE place_years": "INSERT, UPDATE, DELETE",  # the edited place's years, re-resolved
    "TABLE place_current": "INSERT, UPDATE, DELETE",  # the edited place's served status and sources, re-derived
    # audit rows only through write_place_audit() (SECURITY DEFINER, migration 0021): the key and the
    # run come from the edit's own import run, never from the caller
    "FUNCTION write_place_audit": "EXECUTE",
    "TABLE place_proposals": "INSERT, UPDATE",
    "SEQUENCE place_proposals_id_seq": "USAGE",
    # app/routers/reviews.py: a decision on a pending identity review (places/sql/review_decide.sql)
    "TABLE place_reviews": "UPDATE (state, key_id, decided_at, reason)",
    # app/routers/reviews.py: a decision on a candidate link from a grant to a place (edits/sql/grant_review.sql)
    "TABLE grant_place_reviews": "INSERT, UPDATE",
    # the statement triggers (bump_data_version) run as the writer: ETags follow every write
    "TABLE data_versions": "INSERT, UPDATE",
    "TABLE table_statistics": "UPDATE (changed)",  # bump_table_changes(), on places and place_years
}
