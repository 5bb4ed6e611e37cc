"""``python -m seedwatch``: the same as the ``seedwatch`` command."""

from seedwatch.daemon.cli import main

main()
