"""The report stage: every output rendered from report.json."""
