"""dbci: database CI/CD for versioned SQL migrations, compatible with Flyway's files and history."""

__version__ = "0.1.0"
