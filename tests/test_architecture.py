"""The rooms' import rules (pyproject.toml [tool.importlinter], docs/architecture.md "Rooms"):
nothing imports upward, loaders/analysis/edits never import each other, cli never imports app,
migrations only store/models."""
import ast
import re
from pathlib import Path

from importlinter.cli import lint_imports

ROOT = Path(__file__).resolve().parent.parent


def test_every_import_contract_is_kept(capsys):
    code = lint_imports(config_filename=str(ROOT / "pyproject.toml"), no_cache=True, no_logo=True)
    report = capsys.readouterr().out
    assert code == 0, report
    assert "2 kept, 0 broken" in report


SOURCE_ROOMS = ("store", "models", "places", "loaders", "analysis", "edits", "datasets", "app", "cli",
                "migrations", "scripts", "bench")


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the module's, classes' and functions' docstring nodes (they may name a .sql file)."""
    return {id(node.body[0].value) for node in ast.walk(tree)
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
            and node.body and isinstance(node.body[0], ast.Expr) and isinstance(node.body[0].value, ast.Constant)}


def test_only_store_sql_reads_sql_files():
    """Issue 21: one reader of .sql files (store/sql.py). Every other module names a file by its
    name without the extension (``SQL.statement("review_list")``), so a string in code that is a
    ``.sql`` file's name or path is a file read past the reader (and its includes). Docstrings and
    prose (a column comment citing a file) may name one."""
    offenders = []
    for room in SOURCE_ROOMS:
        for module in sorted((ROOT / room).rglob("*.py")):
            if module == ROOT / "store" / "sql.py":
                continue
            tree = ast.parse(module.read_text())
            skipped = _docstrings(tree)
            offenders += [f"{module.relative_to(ROOT)}:{node.lineno}" for node in ast.walk(tree)
                          if isinstance(node, ast.Constant) and isinstance(node.value, str)
                          and id(node) not in skipped and re.fullmatch(r"[\w./*-]*\.sql", node.value)]
    assert not offenders, f"read .sql files through store.sql.SqlFiles: {offenders}"
