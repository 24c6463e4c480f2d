"""Splitting scripts into statements: one scanner, one rule set per dialect."""
