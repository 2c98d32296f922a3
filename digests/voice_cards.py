"""Adaptive Cards (1.5) for frontline voice in Teams (issue 17): the proposal and practice-moment forms,
and the card that replaces a form once it is saved. Pure: plain dicts out. Forms use Action.Execute, so the
saved card replaces the form in place; a form with a problem comes back with everything typed still in it."""

from digests.cards import CHILD_REMINDER, CARD_VERSION, checked

VOICE_VERB = "lessonloop.voice"
NOT_A_REFERRAL = (
    "This is not a referral route: if you are worried about a child now, contact {contact} or follow your local procedure."
)


def _text(text: str, **style) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _card(body: list[dict], actions: list[dict] | None = None) -> dict:
    card = {"type": "AdaptiveCard", "version": CARD_VERSION, "body": body}
    return checked(card | ({"actions": actions} if actions else {}))


def _area(input_id: str, label: str, value: str, *, required: bool = True) -> dict:
    return {
        "type": "Input.Text",
        "id": input_id,
        "label": label,
        "isMultiline": True,
        "maxLength": 2000,
        "value": value,
        "isRequired": required,
        **({"errorMessage": "Write a few words"} if required else {}),
    }


def _choices(input_id: str, label: str, options: dict[str, str], chosen: list[str], *, multi: bool) -> dict:
    return {
        "type": "Input.ChoiceSet",
        "id": input_id,
        "label": label,
        "isMultiSelect": multi,
        "style": "expanded",
        "value": ",".join(chosen),
        "choices": [{"title": title, "value": value} for value, title in options.items()],
    }


def _head(title: str, intro: str, problem: str | None) -> list[dict]:
    body = [_text(title, size="Medium", weight="Bolder"), _text(intro)]
    return body + ([_text(problem, color="Attention", weight="Bolder")] if problem else [])


def _submit(title: str, kind: str) -> list[dict]:
    return [{"type": "Action.Execute", "title": title, "verb": VOICE_VERB, "data": {"lessonloop": kind}}]


def proposal_card(roles: dict[str, str], contact: str, *, values: dict | None = None, problem: str | None = None) -> dict:
    v = values or {}
    return _card(
        _head(
            "Propose a lesson",
            "Something from your own work others could learn from? Your safeguarding leads "
            "review every proposal; you stay anonymous unless you ask to be credited.",
            problem,
        )
        + [
            _area("what_happened", "What happened?", v.get("what_happened", "")),
            _area("learned", "What did you learn?", v.get("learned", "")),
            _choices("roles", "Who is it for?", roles, [r for r in str(v.get("roles", "")).split(",") if r], multi=True),
            {
                "type": "Input.Toggle",
                "id": "credit",
                "title": "Credit me by name if it is published",
                "value": str(v.get("credit", "false")).lower(),
                "valueOn": "true",
                "valueOff": "false",
            },
            _text(f"{CHILD_REMINDER} " + NOT_A_REFERRAL.format(contact=contact), isSubtle=True, size="Small"),
        ],
        _submit("Send my proposal", "propose"),
    )


def moment_card(
    outcomes: dict[str, str], factors: dict[str, str], contact: str, *, values: dict | None = None, problem: str | None = None
) -> dict:
    v = values or {}
    return _card(
        _head(
            "Log a practice moment",
            "Something that nearly went wrong, or went well? It is anonymous and is never used to judge anyone.",
            problem,
        )
        + [
            _choices("outcome", "This moment…", outcomes, [v["outcome"]] if v.get("outcome") else [], multi=False),
            _area("what_happened", "What happened?", v.get("what_happened", "")),
            _area("what_helped", "What helped, or got in the way?", v.get("what_helped", ""), required=False),
            _choices(
                "factors", "What played a part?", factors, [f for f in str(v.get("factors", "")).split(",") if f], multi=True
            ),
            _text(f"{CHILD_REMINDER} " + NOT_A_REFERRAL.format(contact=contact), isSubtle=True, size="Small"),
        ],
        _submit("Log it", "moment"),
    )


def saved_card(thanks: str, notice: str | None) -> dict:
    body = ([_text(notice, color="Attention", weight="Bolder")] if notice else []) + [_text(thanks)]
    return _card(body)
