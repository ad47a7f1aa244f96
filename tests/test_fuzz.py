"""schemathesis, a property-based API fuzzer, against the running server's own OpenAPI document:
every documented route gets generated parameters (valid and not); no answer is a 5xx and every
answer conforms to what the document says of it. Examples per route are bounded to keep CI fast.

One check is left out: ``positive_data_acceptance``. The document describes one items route for
every collection, so it lists the union of their filters, and a filter of another collection
(``vintage`` on places) is refused with a 400 naming it. Per-collection item routes in the
document (issue "Every layer for every map client") will let that check run too.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

EXAMPLES_PER_ROUTE = 50


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(server, tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run", f"{server}/openapi.json",
         "--checks", "all", "--exclude-checks", "positive_data_acceptance",
         "--max-examples", str(EXAMPLES_PER_ROUTE), "--seed", "20261128",
         "--request-timeout", "30", "--no-color"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-6000:]
    assert "0 generated" not in result.stdout
