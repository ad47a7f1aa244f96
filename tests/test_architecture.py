"""The rooms' import rules (pyproject.toml [tool.importlinter], docs/architecture.md "Rooms"):
nothing imports upward, loaders/analysis/edits never import each other, cli never imports app,
migrations only store/models."""
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_contract_is_kept(capsys):
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "2 kept, 0 broken" in report
