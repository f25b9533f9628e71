"""`python -m vmapx` runs the CLI."""

from vmapx.cli import main

main()
