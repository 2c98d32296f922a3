"""Adaptive Cards for the weekly nudge, its answered state, the team agenda item and the weekly theme.
Pure: plain dicts in, plain dicts out, no I/O.

Bot cards are version 1.5 (Teams' ceiling); cards posted through a Workflows webhook are 1.4, because
Workflows shows "this card couldn't be displayed" for 1.5 and these cards need nothing newer. Teams does
not wrap button text, so long options are TextBlocks (which wrap) and the buttons carry short labels.

Bot cards use Action.Execute (Teams answers with an invoke whose response replaces the card in place);
Workflows webhook cards may only hold Action.OpenUrl, so theirs link to the signed pages."""

import json

from digests.agenda import AgendaItem
from digests.markdown import to_card_blocks
from digests.nudge import PRACTICE_CHOICES, Nudge, ReplyState, check_feedback, lesson_heading, verdict
from lesson_bank.model import Lesson, Source
from schedules.replies import REFLECTION_LIMIT

CARD_VERSION = "1.5"
WEBHOOK_CARD_VERSION = "1.4"
FULL_WIDTH = {"width": "Full"}  # Teams' extension: use the whole message width where the client allows it
# Teams rejects a message of around 28 KB; staying under 20 KB leaves room for the activity envelope.
MAX_CARD_BYTES = 20_000
# Teams does not wrap button text and gives each of two buttons in a row under half of a ~450 px card:
# labels short enough to be read in full there (the question above them gives the context).
PRACTICE_BUTTONS = {
    "changed": "Yes, I changed",
    "already": "Already do this",
    "not_yet": "Not yet",
    "not_relevant": "Not relevant",
}
CHILD_REMINDER = "Please do not include details that identify a child or family."
REPLY_VERB = "lessonloop.reply"
REFLECTION_INPUT = "reflection"


class CardTooLarge(ValueError):
    pass


def card_bytes(card: dict) -> int:
    return len(json.dumps(card, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def checked(card: dict) -> dict:
    size = card_bytes(card)
    if size > MAX_CARD_BYTES:
        raise CardTooLarge(f"card body is {size} bytes; Teams cards must stay under {MAX_CARD_BYTES}")
    return card


def _card(body: list[dict], actions: list[dict] | None = None, fallback: str = "", version: str = CARD_VERSION) -> dict:
    card = {"type": "AdaptiveCard", "version": version, "body": body, "msteams": FULL_WIDTH}
    if actions:
        card["actions"] = actions
    if fallback:
        card["fallbackText"] = fallback
    return card


def _text(text: str, **style) -> dict:
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def markdown_blocks(markdown: str) -> list[dict]:
    """Lesson Markdown as TextBlocks (one parse for every channel: digests/markdown.py). A heading is a
    bold block of its own, since card text has no headings."""
    blocks: list[dict] = []
    for block in to_card_blocks(markdown):
        if block.kind == "heading":
            blocks.append(_text(block.text, weight="Bolder", spacing="Medium"))
        elif block.kind == "list":  # one block per item: a single newline inside a TextBlock would join them
            blocks += [_text(line.strip(), spacing="Small") for line in block.text.splitlines() if line.strip()]
        elif block.text.strip():
            blocks.append(_text(block.text, spacing="Small"))
    return blocks


def notice_container(text: str) -> dict:
    """The live-concern signpost: an attention-styled container of its own, never mixed with quiz feedback."""
    return {
        "type": "Container",
        "style": "attention",
        "bleed": True,
        "spacing": "Medium",
        "items": [_text(text, weight="Bolder")],
    }


def sources_text(sources: tuple[Source, ...]) -> str:
    """Each public source as its title, linked (seed references are never shown to readers)."""
    return "; ".join(f"[{s.reader_citation(with_url=False)}]({s.url})" for s in sources if s.is_public)


def _execute(title: str, data: dict, style: str | None = None) -> dict:
    action = {"type": "Action.Execute", "title": title, "verb": REPLY_VERB, "data": data}
    return action | ({"style": style} if style else {})


def _check_section(lesson: Lesson, data: dict, state: ReplyState) -> list[dict]:
    """Options as numbered TextBlocks, read in full; one row of short numbered buttons, all alike."""
    check = lesson.check
    heading = _text(f"**Quick check:** {check.question}", spacing="Large")
    if state.check_answer is None:
        options = [_text(f"**{n}.** {option}", spacing="Small") for n, option in enumerate(check.options, 1)]
        buttons = [_execute(str(n), data | {"check": n}) for n in range(1, len(check.options) + 1)]
        return [heading, *options, {"type": "ActionSet", "actions": buttons}]
    blocks = [heading, _text(f"You answered {state.check_answer}. **{verdict(check, state.check_answer)}**")]
    for option in check_feedback(check, state.check_answer):
        marks = (" ✅ **Right answer**" if option.right else "") + (" (your answer)" if option.chosen else "")
        blocks.append(_text(f"**{option.number}.** {option.text}{marks}", spacing="Small"))
        if option.why:
            blocks.append(_text(option.why, isSubtle=True, spacing="None"))
    return blocks


def _practice_section(data: dict, state: ReplyState) -> list[dict]:
    """Four answers as two rows of two buttons: each row has room for its labels in full at phone width."""
    heading = _text("**Did this change your practice?**", spacing="Large")
    labels = dict(PRACTICE_CHOICES)
    if state.practice is None:
        buttons = [_execute(PRACTICE_BUTTONS[value], data | {"practice": value}) for value, _ in PRACTICE_CHOICES]
        rows = [{"type": "ActionSet", "actions": buttons[i : i + 2]} for i in range(0, len(buttons), 2)]
        return [heading, *rows]
    return [heading, _text(f"You said: {labels.get(state.practice, state.practice)}. Thank you.", isSubtle=True)]


def _reflection_section(data: dict, state: ReplyState) -> list[dict]:
    if state.has_reflection:
        return [_text("Your reflection is saved. Leads never see who wrote it.", isSubtle=True, spacing="Large")]
    field = {
        "type": "Input.Text",
        "id": REFLECTION_INPUT,
        "isMultiline": True,
        "maxLength": REFLECTION_LIMIT,
        "label": "A reflection (optional, anonymous to your leads)",
        "placeholder": CHILD_REMINDER,
    }
    save = _execute("Save reflection", data | {"save": "reflection"})
    return [field, _text(CHILD_REMINDER, size="Small", isSubtle=True), {"type": "ActionSet", "actions": [save]}]


def _lesson_blocks(nudge: Nudge, short: bool) -> list[dict]:
    lesson = nudge.lesson
    blocks = [
        _text(f"Hello {nudge.recipient_name}. {lesson_heading(nudge.is_review)} (about a minute):", isSubtle=True),
        _text(lesson.title, size="Large", weight="Bolder", style="heading"),
    ]
    if lesson.sensitive and lesson.support:  # before the content, where it is read first
        blocks.append({"type": "Container", "style": "warning", "items": [_text(f"**Before you read:** {lesson.support}")]})
    if short:
        blocks.append(_text("This lesson is long for a Teams card: open it in full below.", isSubtle=True))
    else:
        blocks.extend(markdown_blocks(lesson.body))
    blocks += [_text(f"**Try this week:** {lesson.try_this_week}", spacing="Medium"), _text(f"**Think about:** {lesson.reflect}")]
    return blocks


def nudge_card(
    nudge: Nudge, reply_token: str, state: ReplyState | None = None, *, short: bool = False, notice: str | None = None
) -> dict:
    """The weekly nudge with one-tap answers. The reply token (the same signed token the email link
    carries) travels in every button's data, so a press names its delivery and cannot be forged.
    `notice` (the live-concern signpost after a reflection) goes first, in an attention container."""
    state = state or ReplyState()
    data = {"lessonloop": "reply", "token": reply_token}
    body = [notice_container(notice)] if notice else []
    body += _lesson_blocks(nudge, short)
    body += _check_section(nudge.lesson, data, state) + _practice_section(data, state) + _reflection_section(data, state)
    body.append(_text(f"Source: {sources_text(nudge.lesson.sources)}", size="Small", isSubtle=True, spacing="Large"))
    if nudge.first_nudge:
        body.append(
            _text(
                "Your replies are never shown to your managers with your name: leads see only totals "
                "for groups large enough that nobody can be singled out.",
                size="Small",
                isSubtle=True,
            )
        )
    actions = [
        {"type": "Action.OpenUrl", "title": "Open in browser", "url": nudge.links.reply_url},
        {"type": "Action.OpenUrl", "title": "Stop weekly lessons", "url": nudge.links.unsubscribe_url},
    ]
    return _card(body, actions, fallback=f"{nudge.lesson.title}: {nudge.links.reply_url}")


def fitted_nudge_card(nudge: Nudge, reply_token: str, state: ReplyState | None = None, notice: str | None = None) -> dict:
    """The full card, or, for a lesson too long for Teams, the same card with the body left to the web page."""
    card = nudge_card(nudge, reply_token, state, notice=notice)
    if card_bytes(card) <= MAX_CARD_BYTES:
        return card
    return checked(nudge_card(nudge, reply_token, state, short=True, notice=notice))


def agenda_card(item: AgendaItem, page_url: str) -> dict:
    """The team's weekly agenda item for a channel. Workflows cards cannot submit, so the buttons open
    the signed agenda page, where a GET shows the item and a POST records the discussion."""
    body = [
        _text(f"Team meeting item for {item.team_name} · {item.week_label} · about {item.minutes} minutes", isSubtle=True),
        _text(item.title, size="Large", weight="Bolder"),
        _text(f"Theme: {item.theme_label}", isSubtle=True, spacing="None"),
    ]
    body += markdown_blocks(item.vignette)
    body.append(_text("**To discuss**", spacing="Medium"))
    body += [_text(f"**{n}.** {question}", spacing="Small") for n, question in enumerate(item.questions, 1)]
    body.append(_text(f"**One action to agree:** {item.team_action}", spacing="Medium"))
    body.append(_text(CHILD_REMINDER, size="Small", isSubtle=True))
    if item.sources:
        body.append(_text(f"Source: {sources_text(item.sources)}", size="Small", isSubtle=True))
    # One button: two side by side would each have half of a narrow card and cut their labels.
    actions = [{"type": "Action.OpenUrl", "title": "Open the item and record what we agreed", "url": page_url}]
    return checked(_card(body, actions, fallback=f"{item.title}: {page_url}", version=WEBHOOK_CARD_VERSION))


def theme_card(item: AgendaItem, page_url: str) -> dict:
    """A short "this week's theme" post, for teams that want one before their meeting."""
    body = [
        _text(f"This week's theme · {item.week_label}", isSubtle=True),
        _text(item.theme_label, size="Large", weight="Bolder"),
        _text(f"This week's lesson for the team: **{item.title}**"),
        _text(f"**Try this week:** {item.team_action}"),
    ]
    actions = [{"type": "Action.OpenUrl", "title": "Read the team item", "url": page_url}]
    return checked(_card(body, actions, fallback=f"This week's theme: {item.theme_label}", version=WEBHOOK_CARD_VERSION))


def webhook_message(card: dict) -> dict:
    """The envelope the Workflows "post to a channel when a webhook request is received" flow expects."""
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}],
    }
