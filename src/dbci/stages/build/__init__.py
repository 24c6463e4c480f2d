"""The build stage: provision a build database, apply every migration, verify each undo,
run the SQL unit tests, snapshot the result (`dbci.stages.build.stage.build`)."""
