"""What the API's database role may write: everything else it may only read.

Owned by the write path (the edit endpoints): a route that writes a table must have that table
here, or it fails with "permission denied" (the test server runs as the API role, so the suite
finds out). app/privileges.py turns this into GRANTs after every migration.

table → the privileges the API needs on it: INSERT, UPDATE or DELETE; ``UPDATE (a, b)`` limits an
update to those columns. INSERT also grants the sequences the table's columns draw from. A table
with the ``bump_data_version`` trigger (models/data_versions.py) needs ``data_versions`` listed with
INSERT and UPDATE too, since the trigger runs as whoever writes.
"""

API_WRITES: dict[str, tuple[str, ...]] = {
    # authenticating a key stamps when it was last used (app/keys.py authenticate)
    "api_keys": ("UPDATE (last_used_at)",),
}
