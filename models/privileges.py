"""What the API's database role may write: the one list least-privilege role setup grants.

The API (``kindmap serve``) reads everything it serves; it writes only what its routes write.
Each entry is ``"<TABLE|SEQUENCE> <name>": "<privileges>"``, ready for
``GRANT <privileges> ON <TABLE|SEQUENCE> <name> TO <api role>``; anything not listed here the
API role may only SELECT. Add a row here in the same commit as a route that writes a new table.
``UPDATE (a, b)`` limits an update to those columns. A table with the ``bump_data_version``
trigger (models/data_versions.py) needs ``TABLE data_versions`` with INSERT, UPDATE too (the
trigger runs as whoever writes), and an INSERT needs its id sequence's USAGE.
app/privileges.py applies this after every migration; tests/test_roles.py checks it.
"""

API_WRITES: dict[str, str] = {
    # app/keys.py authenticate(): last_used_at of the key presented (that column only: the API
    # must never change a key's scopes)
    "TABLE api_keys": "UPDATE (last_used_at)",
}
