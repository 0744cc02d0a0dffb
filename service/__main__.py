"""`python -m service` is the `masthead` command."""

from service.commands.cli import main

main()
