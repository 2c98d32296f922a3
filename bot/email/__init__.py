"""email: see docs/architecture.md."""
