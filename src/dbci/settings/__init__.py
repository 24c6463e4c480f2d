"""Configuration and its precedence: config files, URLs, placeholders, protected
environments, the secrets that must never be printed."""
