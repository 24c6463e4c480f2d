"""The check stage against a target: changes, drift, code analysis, dry run, gates
(`dbci.stages.check.stage.check`)."""
