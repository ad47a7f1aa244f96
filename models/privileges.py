"""What the API's database role may write: the one list least-privilege role setup grants.

The API (``kindmap serve``) reads everything it serves; it writes only what its routes write.
Each entry is ``"<TABLE|SEQUENCE> <name>": "<privileges>"``, ready for
``GRANT <privileges> ON <TABLE|SEQUENCE> <name> TO <api role>``; anything not listed here the
API role may only SELECT. Add a row here in the same commit as a route that writes a new table.
"""

API_WRITES: dict[str, str] = {
    # app/keys.py authenticate(): last_used_at of the key presented
    "TABLE api_keys": "UPDATE",
}
