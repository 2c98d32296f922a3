"""Local detail in lesson text: `{local:front_door}` and friends, filled from an organisation's own contacts.

Pure: the caller passes the organisation's mapping (from settings); keys it has not set get a default
that still reads well. Lint rejects any key not listed here."""

import re
from collections.abc import Mapping

PLACEHOLDER = re.compile(r"\{\s*local\s*:\s*([^{}]*?)\s*\}")

DEFAULTS: dict[str, str] = {
    "front_door": "your local children's social care front door",
    "out_of_hours": "the out-of-hours children's social care team",
    "lado": "your Local Authority Designated Officer (LADO)",
    "escalation": "your local escalation (resolving professional disagreements) procedure",
    "safeguarding_lead": "your safeguarding lead",
}


def placeholder_keys(text: str) -> list[str]:
    return PLACEHOLDER.findall(text or "")


def unknown_placeholders(text: str) -> list[str]:
    return [key for key in placeholder_keys(text) if key not in DEFAULTS]


def render_local(text: str, contacts: Mapping[str, str] | None = None) -> str:
    """Replace each known `{local:key}` with the organisation's text, or the default. Unknown keys are
    left as they are (lint stops them reaching a reader)."""
    contacts = contacts or {}

    def fill(match: re.Match) -> str:
        key = match[1]
        if key not in DEFAULTS:
            return match[0]
        value = (contacts.get(key) or "").strip()
        return value or DEFAULTS[key]

    return PLACEHOLDER.sub(fill, text or "")
