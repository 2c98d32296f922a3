"""The Teams stand-in fixtures of the bot tests, shared with the other Teams test modules."""

from tests.bot.teams.test_bot import microsoft, sleeps, teams  # noqa: F401
