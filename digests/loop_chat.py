"""Reminders and follow-ups (issue 13) and impact questions (issue 17) as Slack Block Kit and Teams Adaptive
Cards. Pure: data in, dicts out. A follow-up and an impact question are drawn alike from their `Asked`.

A reminder's buttons carry the same values as its nudge's (Slack "<nudge id>:<choice>", Teams the nudge's
signed reply token), so a tap goes down the one reply path and lands on the nudge's reply."""

from digests.cards import CARD_VERSION, CHILD_REMINDER, REPLY_VERB, checked
from digests.loop_messages import LoopMessage, asked, reminder_line
from digests.nudge import PRACTICE_CHOICES

BARRIER_INPUT = "barrier"


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _button(label: str, action_id: str, value: str) -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": label[:75]}, "action_id": action_id, "value": value}


def reminder_blocks(message: LoopMessage) -> list[dict]:
    lesson = message.lesson
    practice = [_button(label, f"practice-{value}", f"{message.reply_to}:{value}") for value, label in PRACTICE_CHOICES]
    return [
        {"type": "context", "elements": [{"type": "mrkdwn", "text": reminder_line(message)}]},
        {"type": "header", "text": {"type": "plain_text", "text": lesson.title[:150]}},
        _section(f"*Try this week:* {lesson.try_this_week}"),
        _section("*Did this change your practice?*"),
        {"type": "actions", "block_id": "practice", "elements": practice},
        {
            "type": "actions",
            "block_id": "reminders",
            "elements": [
                _button("Add a reflection", "reflect", str(message.reply_to)),
                _button("No more reminders", "reminders_off", str(message.reply_to)),
            ],
        },
    ]


def followup_blocks(message: LoopMessage, answered: str | None = None, barrier_saved: bool = False) -> list[dict]:
    """A follow-up or an impact question (its kind says which); both go to the same listeners."""
    put = asked(message.kind)
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": put.heading}}, _section(put.question(message))]
    if answered is None:
        buttons = [_button(label, f"followup-{value}", f"{message.reply_to}:{value}") for value, label in put.choices]
        blocks.append({"type": "actions", "block_id": "followup", "elements": buttons})
    else:
        blocks.append(_section(f"You said: {dict(put.choices)[answered]}. Thank you."))
    if not barrier_saved:
        blocks.append(
            {
                "type": "actions",
                "block_id": "barrier",
                "elements": [_button(put.button, "followup_barrier", str(message.reply_to))],
            }
        )
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"Anonymous to your leads. {CHILD_REMINDER}"}]})
    return blocks


def barrier_modal(message_title: str, delivery_id: int, existing: str | None, kind: str = "followup") -> dict:
    put = asked(kind)
    field = {"type": "plain_text_input", "action_id": "text", "max_length": 300}
    if existing:
        field["initial_value"] = existing
    return {
        "type": "modal",
        "callback_id": "followup_barrier",
        "private_metadata": str(delivery_id),
        "title": {"type": "plain_text", "text": put.button[:24]},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section(f"*{message_title}*"),
            {"type": "input", "block_id": "barrier", "label": {"type": "plain_text", "text": put.prompt}, "element": field},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": CHILD_REMINDER}]},
        ],
    }


def _text(text: str, **style) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def _execute(title: str, data: dict) -> dict:
    return {"type": "Action.Execute", "title": title, "verb": REPLY_VERB, "data": data}


def record_action(url: str) -> dict:
    return {"type": "Action.OpenUrl", "title": "My learning record", "url": url}


def _with_record(actions: list[dict], message: LoopMessage) -> list[dict]:
    return actions + [record_action(message.links.record_url)] if message.links.record_url else actions


def reminder_card(message: LoopMessage, reply_token: str) -> dict:
    data = {"lessonloop": "reply", "token": reply_token}
    body = [
        _text(reminder_line(message), isSubtle=True),
        _text(message.lesson.title, size="Large", weight="Bolder", style="heading"),
        _text(f"**Try this week:** {message.lesson.try_this_week}", spacing="Medium"),
        _text("**Did this change your practice?**", spacing="Large"),
        {"type": "ActionSet", "actions": [_execute(label, data | {"practice": value}) for value, label in PRACTICE_CHOICES]},
    ]
    actions = [
        {"type": "Action.OpenUrl", "title": "Open in browser", "url": message.links.reply_url},
        {"type": "Action.OpenUrl", "title": "No more reminders", "url": message.links.reminders_off_url},
    ]
    return checked(
        {
            "type": "AdaptiveCard",
            "version": CARD_VERSION,
            "body": body,
            "actions": _with_record(actions, message),
            "fallbackText": f"{message.lesson.title}: {message.links.reply_url}",
        }
    )


def followup_card(message: LoopMessage, token: str, answered: str | None = None, barrier_saved: bool = False) -> dict:
    put = asked(message.kind)
    data = {"lessonloop": "followup", "token": token}  # an impact question's presses take the same route
    body = [_text(put.heading, size="Large", weight="Bolder", style="heading"), _text(put.question(message))]
    if answered is None:
        body.append(
            {"type": "ActionSet", "actions": [_execute(label, data | {"outcome": value}) for value, label in put.choices]}
        )
    else:
        body.append(_text(f"You said: {dict(put.choices)[answered]}. Thank you.", isSubtle=True))
    if barrier_saved:
        body.append(_text("Saved. Thank you.", isSubtle=True))
    else:
        body += [
            {"type": "Input.Text", "id": BARRIER_INPUT, "maxLength": 300, "label": put.prompt, "placeholder": CHILD_REMINDER},
            {"type": "ActionSet", "actions": [_execute("Save", data | {"save": BARRIER_INPUT})]},
        ]
    body.append(_text(f"Anonymous to your leads. {CHILD_REMINDER}", size="Small", isSubtle=True))
    actions = [{"type": "Action.OpenUrl", "title": "Open in browser", "url": message.links.reply_url}]
    return checked(
        {
            "type": "AdaptiveCard",
            "version": CARD_VERSION,
            "body": body,
            "actions": _with_record(actions, message),
            "fallbackText": put.question(message),
        }
    )
