"""Reminders and follow-ups (issue 13) and impact questions (issue 17) as Slack Block Kit and Teams Adaptive
Cards. Pure: data in, dicts out. A follow-up and an impact question are drawn alike from their `Asked`.

A reminder's buttons carry the same values as its nudge's (Slack "<nudge id>:<choice>", Teams the nudge's
signed reply token), so a tap goes down the one reply path and lands on the nudge's reply."""

from digests.cards import CARD_VERSION, CHILD_REMINDER, REPLY_VERB, checked
from digests.loop_messages import (
    CHECKIN_INTRO,
    LoopMessage,
    asked,
    checkin_practice_question,
    reminder_line,
    theme_of,
)
from digests.markdown import slack_escape as esc
from digests.nudge import PRACTICE_CHOICES, ReplyState
from lesson_bank.model import Lesson

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


ROW_CHARACTERS = 36  # of button labels Teams shows in full in one row of a card at phone width (~450 px)


def _answer_rows(buttons: list[dict]) -> list[dict]:
    """As many answers a row as fit in full ("I tried it and it did not fit" gets a row of its own; in one row
    of four Teams cut every answer to "I tried i…")."""
    per_row = max(1, ROW_CHARACTERS // max(len(button["title"]) for button in buttons))
    return [{"type": "ActionSet", "actions": buttons[i : i + per_row]} for i in range(0, len(buttons), per_row)]


def followup_card(message: LoopMessage, token: str, answered: str | None = None, barrier_saved: bool = False) -> dict:
    put = asked(message.kind)
    data = {"lessonloop": "followup", "token": token}  # an impact question's presses take the same route
    body = [_text(put.heading, size="Large", weight="Bolder", style="heading"), _text(put.question(message))]
    if answered is None:
        body += _answer_rows([_execute(label, data | {"outcome": value}) for value, label in put.choices])
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


def _checkin_answered(state: ReplyState) -> list[str]:
    """What a check-in shows once answered: the answer, never whether it was right (the same for every team)."""
    lines = []
    if state.check_answer is not None:
        lines.append(f"You chose {state.check_answer}. Thank you.")
    if state.practice is not None:
        lines.append(f"You said: {dict(PRACTICE_CHOICES)[state.practice]}. Thank you.")
    return lines


def checkin_blocks(lesson: Lesson, delivery_id: int, state: ReplyState = ReplyState()) -> list[dict]:
    """A roll-out check-in (issue 13, part 5). Its buttons are the nudge's own (`check-<n>`, `practice-<x>`, value
    "<delivery id>:<choice>"), so a tap goes down the one reply path onto the check-in's own reply."""
    check = lesson.check
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"A two-tap check-in: {theme_of(lesson)}"[:150]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": CHECKIN_INTRO}]},
    ]
    options = "\n".join(f"*{n}.* {esc(option)}" for n, option in enumerate(check.options, 1))
    blocks.append(_section(f"*Quick check:* {esc(check.question)}\n{options}"))
    if state.check_answer is None:
        buttons = [_button(str(n), f"check-{n}", f"{delivery_id}:{n}") for n in range(1, len(check.options) + 1)]
        blocks.append({"type": "actions", "block_id": "check", "elements": buttons})
    blocks.append(_section(f"*{esc(checkin_practice_question(lesson))}*"))
    if state.practice is None:
        practice = [_button(label, f"practice-{value}", f"{delivery_id}:{value}") for value, label in PRACTICE_CHOICES]
        blocks.append({"type": "actions", "block_id": "practice", "elements": practice})
    if answered := _checkin_answered(state):
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": " ".join(answered)}]})
    return blocks


def checkin_card(
    lesson: Lesson, reply_token: str, reply_url: str, state: ReplyState = ReplyState(), record_url: str = ""
) -> dict:
    """The check-in as an Adaptive Card: the nudge card's reply data (`check`, `practice` with its signed reply
    token), so a press goes down the one reply path."""
    check, data = lesson.check, {"lessonloop": "reply", "token": reply_token}
    body = [
        _text(f"A two-tap check-in: {theme_of(lesson)}", size="Large", weight="Bolder", style="heading"),
        _text(CHECKIN_INTRO, isSubtle=True),
        _text(f"**Quick check:** {check.question}", spacing="Large"),
        *[_text(f"**{n}.** {option}", spacing="Small") for n, option in enumerate(check.options, 1)],
    ]
    if state.check_answer is None:
        body.append(
            {"type": "ActionSet", "actions": [_execute(str(n), data | {"check": n}) for n in range(1, len(check.options) + 1)]}
        )
    body.append(_text(f"**{checkin_practice_question(lesson)}**", spacing="Large"))
    if state.practice is None:
        buttons = [_execute(label, data | {"practice": value}) for value, label in PRACTICE_CHOICES]
        body += [{"type": "ActionSet", "actions": buttons[i : i + 2]} for i in range(0, len(buttons), 2)]
    if answered := _checkin_answered(state):
        body.append(_text(" ".join(answered), isSubtle=True))
    actions = [{"type": "Action.OpenUrl", "title": "Open in browser", "url": reply_url}]
    if record_url:
        actions.append(record_action(record_url))
    return checked(
        {
            "type": "AdaptiveCard",
            "version": CARD_VERSION,
            "body": body,
            "actions": actions,
            "fallbackText": f"A two-tap check-in: {reply_url}",
        }
    )
