"""The weekly nudge as Slack Block Kit: the message, the message after a tap, and the reflection modal.

Pure: the same lesson and reply state always give the same blocks, so a replayed tap updates the
message to exactly what it already shows."""

from digests.markdown import slack_escape as esc, to_mrkdwn
from digests.nudge import PRACTICE_CHOICES, ReplyState, check_feedback, lesson_heading, verdict
from lesson_bank.model import Lesson, Source
from schedules.replies import REFLECTION_LIMIT

NO_IDENTIFIERS = "Please do not include details that identify a child or family."
BUTTON_LIMIT = 75  # Slack's limit on button text; ours stay far shorter (phones clip at about 40)
SECTION_LIMIT = 3000  # Slack's limit on a section's text


def mrkdwn(markdown: str) -> str:
    """Lesson Markdown as Slack mrkdwn (one parse for every channel: digests/markdown.py)."""
    return to_mrkdwn(markdown)


def _text(kind: str, text: str) -> dict:
    return {"type": kind, "text": text[:SECTION_LIMIT]}


def _section(text: str, block_id: str | None = None) -> dict:
    block = {"type": "section", "text": _text("mrkdwn", text)}
    return block | {"block_id": block_id} if block_id else block


def _button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    if len(label) > BUTTON_LIMIT:  # never cut: a cut label can hide (or give away) an answer
        raise ValueError(f"button label is {len(label)} characters; Slack allows {BUTTON_LIMIT}: '{label}'")
    button = {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": action_id, "value": value}
    return button | {"style": style} if style else button


def _check_blocks(lesson: Lesson, delivery_id: int, state: ReplyState) -> list[dict]:
    """The options are read in full in the text; the buttons carry only their numbers, all alike, so
    neither a clipped label nor a style can give the answer away."""
    check = lesson.check
    question = f"*Quick check:* {esc(check.question)}"
    if state.check_answer is not None:
        lines = [question, f"You chose {state.check_answer}. {verdict(check, state.check_answer)}"]
        for option in check_feedback(check, state.check_answer):
            marks = " ✅ *right answer*" if option.right else ""
            marks += " (your answer)" if option.chosen else ""
            lines.append(f"*{option.number}.* {esc(option.text)}{marks}" + (f"\n_{esc(option.why)}_" if option.why else ""))
        return [_section("\n".join(lines), "check")]
    options = "\n".join(f"*{n}.* {esc(option)}" for n, option in enumerate(check.options, 1))
    buttons = [_button(str(n), f"check-{n}", f"{delivery_id}:{n}") for n in range(1, len(check.options) + 1)]
    return [_section(f"{question}\n{options}"), {"type": "actions", "block_id": "check", "elements": buttons}]


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


def _body_sections(markdown: str) -> list[dict]:
    """The lesson body, one section per run of blocks that fits Slack's 3,000-character section."""
    sections: list[str] = []
    for block in mrkdwn(markdown).split("\n\n"):
        if sections and len(sections[-1]) + len(block) + 2 <= SECTION_LIMIT:
            sections[-1] += "\n\n" + block
        else:
            sections.append(block)
    return [_section(text) for text in sections if text.strip()]


def support_blocks(lesson: Lesson) -> list[dict]:
    """For a sensitive lesson, where to get support: shown before the content, never after it."""
    if not (lesson.sensitive and lesson.support):
        return []
    return [_section(f":information_source: *Before you read:* {esc(lesson.support)}", "support")]


def nudge_blocks(lesson: Lesson, delivery_id: int, *, is_review: bool = False, state: ReplyState = ReplyState()) -> list[dict]:
    """Title, support note (sensitive lessons), lesson, try this week, the check (options in the text,
    numbered buttons), then the practice question, then reflection and sources."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": lesson.title[:150]}},
        {"type": "context", "elements": [_text("mrkdwn", f"{lesson_heading(is_review)} · about a minute")]},
        *support_blocks(lesson),
        *_body_sections(lesson.body),
        _section(f"*Try this week:* {esc(lesson.try_this_week)}"),
        _section(f"*Think about:* {esc(lesson.reflect)}"),
        {"type": "divider"},
    ]
    blocks += _check_blocks(lesson, delivery_id, state) + _practice_blocks(delivery_id, state)
    blocks += _reflect_blocks(delivery_id, state)
    blocks.append({"type": "context", "elements": [_text("mrkdwn", f"Source: {sources_mrkdwn(lesson.sources)}")]})
    return blocks


def sources_mrkdwn(sources: tuple[Source, ...]) -> str:
    """Each public source as its title, linked (seed references are never shown to readers)."""
    return "; ".join(f"<{esc(s.url or '')}|{esc(s.reader_citation(with_url=False))}>" for s in sources if s.is_public)


def concern_blocks(notice: str) -> list[dict]:
    """The live-concern signpost (and what was taken out of a reflection) as its own message section,
    apart from any quiz feedback."""
    return [{"type": "divider"}, _section(f":warning: {esc(notice)}", "concern")]


def fallback_text(lesson: Lesson, *, is_review: bool = False) -> str:
    """The notification text (and what screen readers and old clients show)."""
    return f"{lesson_heading(is_review)}: {lesson.title}"


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
            _section(f"*{esc(lesson.title)}*\n{esc(lesson.reflect)}"),
            {
                "type": "input",
                "block_id": "reflection",
                "label": {"type": "plain_text", "text": "What will you do differently?"},
                "element": text_input,
            },
            {"type": "context", "elements": [_text("mrkdwn", f":warning: {NO_IDENTIFIERS} Leads never see who wrote what.")]},
        ],
    }
