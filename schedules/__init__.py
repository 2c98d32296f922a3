"""The learning domain: people, teams, spacing state, deliveries and replies; the pure planner."""
