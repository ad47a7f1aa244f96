"""``python -m cli`` is the ``kindmap`` command."""
from cli.main import main

main()
