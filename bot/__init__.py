"""Composition root and adapters: settings, the web app, channels, the dispatcher, jobs, the CLI."""
