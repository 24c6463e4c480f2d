"""`python -m dbci` runs the command line."""

from dbci.cli import run

run()
