"""Schema snapshots and diffs: the model (`model`), reading it from a database
(`introspect`, `postgresql`, `reflection`), its JSON form (`snapshot_file`), and the
comparison that turns one schema into another (`diff`)."""
