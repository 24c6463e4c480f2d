"""The Flyway-compatible migration engine: discovery, versions, checksums, history, state,
validation, runner, session, callbacks, lifecycle commands, clean and dry run."""
