""" "You said, we did" notes as each channel shows them under a nudge (issue 17): an email section, Slack
blocks and Adaptive Card items. Pure: the notes' text in, the pieces out."""

from digests.render import render

HEADING = "You said, we did"


def notes_text(notes: tuple[str, ...]) -> str:
    return render("email/said_did.txt.j2", notes=notes) if notes else ""


def notes_html(notes: tuple[str, ...]) -> str:
    return render("email/said_did.html.j2", notes=notes) if notes else ""


def said_did_blocks(notes: tuple[str, ...]) -> list[dict]:
    if not notes:
        return []
    lines = "\n".join(f"• {note}" for note in notes)
    return [
        {"type": "divider"},
        {"type": "section", "block_id": "said_did", "text": {"type": "mrkdwn", "text": f"*{HEADING}*\n{lines}"[:3000]}},
    ]


def said_did_card_items(notes: tuple[str, ...]) -> list[dict]:
    if not notes:
        return []
    return [
        {
            "type": "Container",
            "style": "good",
            "spacing": "Large",
            "items": [
                {"type": "TextBlock", "text": HEADING, "weight": "Bolder", "wrap": True},
                *({"type": "TextBlock", "text": note, "wrap": True, "spacing": "Small"} for note in notes),
            ],
        }
    ]
