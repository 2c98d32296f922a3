"""Block Kit for frontline voice (issue 17): the App Home buttons and the two modals (propose a lesson,
log a practice moment). Pure: data in, blocks out."""

from digests.slack_nudge import NO_IDENTIFIERS

TEXT_LIMIT = 2000
PROPOSE_ACTION, MOMENT_ACTION = "voice_propose", "voice_moment"
PROPOSAL_VIEW, MOMENT_VIEW = "voice_proposal", "voice_moment"
NOT_A_REFERRAL = (
    "This is not a referral route: if you are worried about a child now, contact {contact} or follow your local procedure."
)


def _plain(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def _option(label: str, value: str) -> dict:
    return {"text": _plain(label[:75]), "value": value}


def _text_input(block_id: str, label: str, *, optional: bool = False) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": _plain(label),
        "optional": optional,
        "element": {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": TEXT_LIMIT},
    }


def _warning(contact: str) -> dict:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f":warning: {NO_IDENTIFIERS} " + NOT_A_REFERRAL.format(contact=contact)}],
    }


def voice_home_blocks() -> list[dict]:
    return [
        {"type": "divider"},
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "*Your voice*\nSomething from your own work others could learn from? "
                "Propose a lesson, or log a practice moment (anonymous).",
            },
        },
        {
            "type": "actions",
            "block_id": "voice",
            "elements": [
                {"type": "button", "action_id": PROPOSE_ACTION, "text": _plain("Propose a lesson"), "value": "propose"},
                {"type": "button", "action_id": MOMENT_ACTION, "text": _plain("Log a practice moment"), "value": "moment"},
            ],
        },
    ]


def proposal_modal(roles: dict[str, str], contact: str) -> dict:
    return {
        "type": "modal",
        "callback_id": PROPOSAL_VIEW,
        "title": _plain("Propose a lesson"),
        "submit": _plain("Send"),
        "close": _plain("Cancel"),
        "blocks": [
            _text_input("what_happened", "What happened?"),
            _text_input("learned", "What did you learn?"),
            {
                "type": "input",
                "block_id": "roles",
                "optional": True,
                "label": _plain("Who is it for?"),
                "element": {
                    "type": "multi_static_select",
                    "action_id": "roles",
                    "placeholder": _plain("Choose roles"),
                    "options": [_option(label, role_id) for role_id, label in roles.items()],
                },
            },
            {
                "type": "input",
                "block_id": "credit",
                "optional": True,
                "label": _plain("Credit"),
                "element": {
                    "type": "checkboxes",
                    "action_id": "credit",
                    "options": [_option("Credit me by name if it is published", "yes")],
                },
            },
            _warning(contact),
        ],
    }


def moment_modal(outcomes: dict[str, str], factors: dict[str, str], contact: str) -> dict:
    return {
        "type": "modal",
        "callback_id": MOMENT_VIEW,
        "title": _plain("Practice moment"),
        "submit": _plain("Log it"),
        "close": _plain("Cancel"),
        "blocks": [
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Anonymous, and never used to judge anyone."}]},
            {
                "type": "input",
                "block_id": "outcome",
                "label": _plain("This moment…"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": "outcome",
                    "options": [_option(label, value) for value, label in outcomes.items()],
                },
            },
            _text_input("what_happened", "What happened?"),
            _text_input("what_helped", "What helped, or got in the way?", optional=True),
            {
                "type": "input",
                "block_id": "factors",
                "optional": True,
                "label": _plain("What played a part?"),
                "element": {
                    "type": "checkboxes",
                    "action_id": "factors",
                    "options": [_option(label, value) for value, label in factors.items()][:10],
                },
            },
            _warning(contact),
        ],
    }


def _value(values: dict, block: str, action: str = "text"):
    return (values.get(block) or {}).get(action) or {}


def proposal_fields(state: dict) -> tuple[str, str, tuple[str, ...], bool]:
    """(what happened, learned, roles, credit) from a submitted proposal modal's state."""
    values = state.get("values") or {}
    roles = tuple(o["value"] for o in _value(values, "roles", "roles").get("selected_options") or [])
    credit = any(o["value"] == "yes" for o in _value(values, "credit", "credit").get("selected_options") or [])
    return (_value(values, "what_happened").get("value") or "", _value(values, "learned").get("value") or "", roles, credit)


def moment_fields(state: dict) -> tuple[str, str, str, tuple[str, ...]]:
    """(outcome, what happened, what helped, factors) from a submitted moment modal's state."""
    values = state.get("values") or {}
    outcome = (_value(values, "outcome", "outcome").get("selected_option") or {}).get("value") or ""
    factors = tuple(o["value"] for o in _value(values, "factors", "factors").get("selected_options") or [])
    return (
        outcome,
        _value(values, "what_happened").get("value") or "",
        _value(values, "what_helped").get("value") or "",
        factors,
    )
