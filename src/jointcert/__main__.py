"""``python -m jointcert`` runs the CLI."""

from jointcert.cli.main import main

main()
