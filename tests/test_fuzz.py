"""schemathesis, a property-based API fuzzer, against the running server's own OpenAPI document:
every documented route gets generated parameters (valid and not); no answer is a 5xx and every
answer conforms to what the document says of it. Examples per route are bounded to keep CI fast.
Writes run with an admin key over the demo sample (they change it: this module's own load).

Every check runs, ``positive_data_acceptance`` too: a request the document calls valid is
answered (the document has one path per collection for items and tiles, each with that
collection's filters, and every parameter's bounds, pattern or vocabulary). The few rules no
OpenAPI document can state (between two parameters, between a list's items, CQL2's grammar, the
server's state) are tests/fuzz_rules.py's, loaded as schemathesis hooks: a refusal naming one of
them, and only that, is not a failure.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from store import keys
from tests.conftest import ROOT

EXAMPLES_PER_ROUTE = 50
# Writes cost a transaction each; fewer examples keep their run within the suite's budget.
EXAMPLES_PER_WRITE_ROUTE = 10


@pytest.mark.parametrize("operations, examples", [
    (["--exclude-tag", "Edits"], EXAMPLES_PER_ROUTE),
    (["--include-tag", "Edits"], EXAMPLES_PER_WRITE_ROUTE)], ids=["reads", "edits"])
def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(server, served, tmp_path, operations,
                                                                        examples):
    # The write routes too, with a key that may write anywhere (they refuse requests without it).
    with served.begin() as conn:
        token = keys.create(conn, "schemathesis", ["admin"], [])[1]
    result = subprocess.run(
        [str(Path(sys.executable).parent / "schemathesis"), "run", f"{server}/openapi.json",
         "--header", f"Authorization: Bearer {token}", *operations,
         "--checks", "all",
         "--max-examples", str(examples), "--seed", "20261128",
         # An analysis may take the server's own deadline for it (KINDMAP_ANALYSIS_TIMEOUT_S, 120 s):
         # a /scenarios opening 1,000 valid points takes 15-40 s on a busy 2-core machine (the
         # benchmarks, not the fuzzer, hold response times; schemathesis's default limit is 10 s).
         "--request-timeout", "120", "--max-response-time", "120", "--no-color"],
        capture_output=True, text=True, timeout=900, cwd=tmp_path,
        env={**os.environ, "SCHEMATHESIS_HOOKS": "tests.fuzz_rules", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stdout[-6000:]
    assert not re.search(r"(?<![0-9])0 generated", result.stdout)  # (3890 generated is fine)
