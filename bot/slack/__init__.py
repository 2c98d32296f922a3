"""slack: see docs/architecture.md."""
