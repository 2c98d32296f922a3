"""teams: see docs/architecture.md."""
