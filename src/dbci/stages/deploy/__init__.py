"""The deploy stage: pending migrations to one or more targets, behind a drift gate and
the checked plan, with a snapshot saved after each deploy (`dbci.stages.deploy.stage.deploy`)."""
