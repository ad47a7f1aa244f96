"""The operator's ``kindmap`` command (typer): the database, loads, keys, serving and the demo.
Imports store/, loaders/, analysis/ and edits/, never app/: ``kindmap serve`` hands uvicorn the
ASGI app by its import string (docs/architecture.md)."""
