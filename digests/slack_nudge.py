"""The weekly nudge as Slack Block Kit: the message, the message after a tap, and the reflection modal.

Pure: the same lesson and reply state always give the same blocks, so a replayed tap updates the
message to exactly what it already shows."""
import re
from dataclasses import dataclass

from digests.nudge import PRACTICE_CHOICES
from lesson_bank.model import Lesson

NO_IDENTIFIERS = "Please do not include details that identify a child or family."
BUTTON_LIMIT = 75  # Slack's limit on button text
SECTION_LIMIT = 3000  # Slack's limit on a section's text
REFLECTION_LIMIT = 2000


@dataclass(frozen=True)
class ReplyState:
    """What the person has answered so far; all None for a fresh message."""

    check_answer: int | None = None
    check_correct: bool | None = None
    practice: str | None = None
    has_reflection: bool = False


def mrkdwn(markdown: str) -> str:
    """Lesson Markdown to Slack mrkdwn: headings and **bold** become *bold*, [text](url) becomes <url|text>."""
    lines = []
    for line in markdown.splitlines():
        if line.lstrip().startswith("#"):
            line = f"*{line.lstrip('#').strip()}*"
        lines.append(line)
    text = re.sub(r"\*\*(.+?)\*\*|__(.+?)__", lambda m: f"*{m.group(1) or m.group(2)}*", "\n".join(lines))
    return re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"<\2|\1>", text)


def _text(kind: str, text: str) -> dict:
    return {"type": kind, "text": text[:SECTION_LIMIT]}


def _section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": _text("mrkdwn", text)}
    return block | {"block_id": block_id} if block_id else block


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    short = label if len(label) <= BUTTON_LIMIT else label[: BUTTON_LIMIT - 1] + "…"
    button = {"type": "button", "text": {"type": "plain_text", "text": short}, "action_id": action_id, "value": value}
    return button | {"style": style} if style else button


def _check_blocks(lesson: Lesson, delivery_id: int, state: ReplyState) -> list[dict]:
    check = lesson.check
    if state.check_answer is not None:
        verdict = "✅ That's right." if state.check_correct else f"Not quite. The answer is: *{check.options[check.answer - 1]}*"
        return [_section(f"*Quick check:* {check.question}\nYou chose: {check.options[state.check_answer - 1]}\n{verdict}\n_{check.explanation}_", "check")]
    buttons = [_button(option, f"check-{n}", f"{delivery_id}:{n}") for n, option in enumerate(check.options, 1)]
    return [_section(f"*Quick check:* {check.question}"), {"type": "actions", "block_id": "check", "elements": buttons}]


def _practice_blocks(delivery_id: int, state: ReplyState) -> list[dict]:
    labels = dict(PRACTICE_CHOICES)
    if state.practice is not None:
        return [_section(f"*Did this change your practice?* You said: {labels[state.practice]}. Thank you.", "practice")]
    buttons = [_button(label, f"practice-{value}", f"{delivery_id}:{value}") for value, label in PRACTICE_CHOICES]
    return [_section("*Did this change your practice?*"), {"type": "actions", "block_id": "practice", "elements": buttons}]


def _reflect_blocks(delivery_id: int, state: ReplyState) -> list[dict]:
    label = "Edit your reflection" if state.has_reflection else "Add a reflection"
    return [
        {"type": "actions", "block_id": "reflect", "elements": [_button(label, "reflect", str(delivery_id))]},
        {"type": "context", "elements": [_text("mrkdwn", f"Anonymous to your leads. {NO_IDENTIFIERS}")]},
    ]


def nudge_blocks(lesson: Lesson, delivery_id: int, *, is_review: bool = False, state: ReplyState = ReplyState()) -> list[dict]:
    """Title, lesson, try this week, the check as buttons, then the practice question, then reflection."""
    heading = "A lesson to revisit" if is_review else "This week's lesson"
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": lesson.title[:150]}},
        {"type": "context", "elements": [_text("mrkdwn", f"{heading} · about a minute")]},
        _section(mrkdwn(lesson.body)),
        _section(f"*Try this week:* {lesson.try_this_week}"),
        _section(f"*Think about:* {lesson.reflect}"),
        {"type": "divider"},
    ]
    blocks += _check_blocks(lesson, delivery_id, state) + _practice_blocks(delivery_id, state)
    blocks += _reflect_blocks(delivery_id, state)
    if lesson.sensitive and lesson.support:
        blocks.append({"type": "context", "elements": [_text("mrkdwn", f"Support: {lesson.support}")]})
    sources = "; ".join(lesson.citations())
    blocks.append({"type": "context", "elements": [_text("mrkdwn", f"Source: {sources}")]})
    return blocks


def fallback_text(lesson: Lesson) -> str:
    """The notification text (and what screen readers and old clients show)."""
    return f"This week's lesson: {lesson.title}"


def reflection_modal(lesson: Lesson, delivery_id: int, existing: str | None) -> dict:
    text_input = {"type": "plain_text_input", "action_id": "text", "multiline": True, "max_length": REFLECTION_LIMIT}
    if existing:
        text_input["initial_value"] = existing
    return {
        "type": "modal",
        "callback_id": "reflection",
        "private_metadata": str(delivery_id),
        "title": {"type": "plain_text", "text": "Your reflection"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            _section(f"*{lesson.title}*\n{lesson.reflect}"),
            {"type": "input", "block_id": "reflection", "label": {"type": "plain_text", "text": "What will you do differently?"},
             "element": text_input},
            {"type": "context", "elements": [_text("mrkdwn", f":warning: {NO_IDENTIFIERS} Leads never see who wrote what.")]},
        ],
    }
