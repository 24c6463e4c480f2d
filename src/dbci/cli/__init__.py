"""The `dbci` command line: parsing and rendering only."""

from dbci.cli.main import main, run

__all__ = ["main", "run"]
