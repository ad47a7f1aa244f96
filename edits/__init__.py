"""Planner edits and public proposals of places, without the web framework (docs/edits.md).

Parameters in, rows or JSON out; SQL in ``edits/sql``. ``validation`` checks a GeoJSON Feature
body, ``places`` writes edits with their audit trail in one transaction, ``reload`` keeps edits
through publishers' reloads, ``proposals`` holds the public's proposals for moderation.
"""
