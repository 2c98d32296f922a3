"""What a weekly nudge says: the view model every channel renders from, and the email parts."""

from dataclasses import dataclass

from markupsafe import escape

from digests.render import environment
from digests.said_did_render import notes_html, notes_text
from lesson_bank.model import KnowledgeCheck, Lesson

PRACTICE_CHOICES = (
    ("changed", "Yes, I changed something"),
    ("already", "I already do this"),
    ("not_yet", "Not yet"),
    ("not_relevant", "Not relevant to my role"),
)


@dataclass(frozen=True)
class NudgeLinks:
    reply_url: str  # the signed page; choices are added as query parameters
    unsubscribe_url: str
    record_url: str = ""  # the person's own learning record (issue 13), signed for them

    def check(self, option_number: int) -> str:
        return f"{self.reply_url}?check={option_number}"

    def practice(self, choice: str) -> str:
        return f"{self.reply_url}?practice={choice}"


@dataclass(frozen=True)
class Nudge:
    recipient_name: str
    lesson: Lesson
    links: NudgeLinks
    is_review: bool = False
    first_nudge: bool = False
    min_cell: int = 5  # LESSONLOOP_MIN_CELL, quoted to staff in the first nudge
    notes: tuple[str, ...] = ()  # "you said, we did" notes that go out with this nudge (issue 17)


@dataclass(frozen=True)
class ReplyState:
    """What a person has answered so far, as every channel's updated message shows it; all empty when fresh."""

    check_answer: int | None = None
    check_correct: bool | None = None
    practice: str | None = None
    has_reflection: bool = False


@dataclass(frozen=True)
class EmailParts:
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class OptionFeedback:
    number: int
    text: str
    why: str
    right: bool
    chosen: bool


def check_feedback(check: KnowledgeCheck, chosen: int) -> tuple[OptionFeedback, ...]:
    """After an answer, every channel shows every option with its why, the right one and the reader's own
    marked in words (never by colour alone)."""
    return tuple(
        OptionFeedback(n, option.text, option.why, n == check.answer, n == chosen) for n, option in enumerate(check.choices, 1)
    )


def verdict(check: KnowledgeCheck, chosen: int) -> str:
    if check.is_right(chosen):
        return "That's right."
    return f"Not quite: the answer is {check.answer}."


def lesson_heading(is_review: bool) -> str:
    """What a message calls itself in every channel: a spaced review is never "this week's lesson"."""
    return "Spaced review" if is_review else "This week's lesson"


def subject_line(nudge: Nudge) -> str:
    prefix = "Spaced review" if nudge.is_review else "1-minute lesson"
    return f"{prefix}: {nudge.lesson.title}"


# Everyone who gets the same lesson this week reads the same words; only their name and links differ.
# So each (lesson version, review, first nudge) is rendered once with placeholders, then filled in.
_NAME, _REPLY, _UNSUBSCRIBE = "\x00name\x00", "\x00reply\x00", "\x00unsubscribe\x00"
_RECORD = "\x00record\x00"
_NOTES = "\x00notes\x00"  # where a person's "you said, we did" notes go (issue 17); empty for most
_stencils: dict[tuple, EmailParts] = {}


@dataclass(frozen=True)
class Sender:
    """Who an email comes from, named in every email: the organisation and its small-number threshold."""

    organisation: str = "Your organisation"
    min_cell: int = 5


def _stencil(lesson: Lesson, is_review: bool, first_nudge: bool, sender: Sender) -> EmailParts:
    key = (lesson.id, lesson.version, is_review, first_nudge, sender)
    if key not in _stencils:
        if len(_stencils) > 1024:
            _stencils.clear()
        nudge = Nudge(_NAME, lesson, NudgeLinks(_REPLY, _UNSUBSCRIBE, _RECORD), is_review, first_nudge, sender.min_cell)
        env = environment()
        context = {
            "nudge": nudge,
            "lesson": lesson,
            "links": nudge.links,
            "practice_choices": PRACTICE_CHOICES,
            "heading": lesson_heading(is_review),
            "organisation": sender.organisation,
            "min_cell": sender.min_cell,
            "said_did": _NOTES,
        }
        _stencils[key] = EmailParts(
            subject=subject_line(nudge),
            text=env.get_template("email/nudge.txt.j2").render(context),
            html=env.get_template("email/nudge.html.j2").render(context),
        )
    return _stencils[key]


def _fill(stencil: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        stencil = stencil.replace(placeholder, value)
    return stencil


def email_stencil(nudge: Nudge, sender: Sender = Sender()) -> EmailParts:
    """The nudge's email with placeholders where its name and links go (shared by everyone who gets the
    same lesson this week), so a sender can also encode it once and fill in encoded values."""
    stencil = _stencil(nudge.lesson, nudge.is_review, nudge.first_nudge, sender)
    if nudge.links.record_url:
        return stencil

    # no learning-record link to give (a preview, a test): leave out its footer line
    def drop(text: str) -> str:
        return "\n".join(line for line in text.split("\n") if _RECORD not in line)

    return EmailParts(stencil.subject, drop(stencil.text), drop(stencil.html))


def stencil_values(nudge: Nudge, *, html: bool) -> dict[str, str]:
    """What replaces each placeholder of `email_stencil` (escaped for the HTML part)."""
    values = {
        _NAME: nudge.recipient_name,
        _REPLY: nudge.links.reply_url,
        _UNSUBSCRIBE: nudge.links.unsubscribe_url,
        _RECORD: nudge.links.record_url,
    }
    if not html:
        return values | {_NOTES: notes_text(nudge.notes)}
    # notes_html builds its own escaped markup ("you said, we did", issue 17)
    return {k: str(escape(v)) for k, v in values.items()} | {_NOTES: notes_html(nudge.notes)}


def email_parts(nudge: Nudge, sender: Sender = Sender()) -> EmailParts:
    stencil = email_stencil(nudge, sender)
    return EmailParts(
        subject=stencil.subject,
        text=_fill(stencil.text, stencil_values(nudge, html=False)),
        html=_fill(stencil.html, stencil_values(nudge, html=True)),
    )
