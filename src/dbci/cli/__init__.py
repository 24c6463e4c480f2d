"""The `dbci` command line: parsing and rendering only."""

from dbci.cli.app import main, run

__all__ = ["main", "run"]
