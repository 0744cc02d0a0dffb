"""`python -m service` is the `masthead` command."""

from service.cli import main

main()
