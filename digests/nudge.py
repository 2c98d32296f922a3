"""What a weekly nudge says: the view model every channel renders from, and the email parts."""
from dataclasses import dataclass

from markupsafe import escape

from digests.render import environment
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
    return tuple(OptionFeedback(n, option.text, option.why, n == check.answer, n == chosen)
                 for n, option in enumerate(check.choices, 1))


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
        nudge = Nudge(_NAME, lesson, NudgeLinks(_REPLY, _UNSUBSCRIBE), is_review, first_nudge)
        env = environment()
        context = {"nudge": nudge, "lesson": lesson, "links": nudge.links, "practice_choices": PRACTICE_CHOICES,
                   "heading": lesson_heading(is_review), "organisation": sender.organisation, "min_cell": sender.min_cell}
        _stencils[key] = EmailParts(
            subject=subject_line(nudge),
            text=env.get_template("email/nudge.txt.j2").render(context),
            html=env.get_template("email/nudge.html.j2").render(context),
        )
    return _stencils[key]


def _fill(stencil: str, name: str, reply_url: str, unsubscribe_url: str) -> str:
    return stencil.replace(_NAME, name).replace(_REPLY, reply_url).replace(_UNSUBSCRIBE, unsubscribe_url)


def email_parts(nudge: Nudge, sender: Sender = Sender()) -> EmailParts:
    stencil = _stencil(nudge.lesson, nudge.is_review, nudge.first_nudge, sender)
    links = nudge.links
    return EmailParts(
        subject=stencil.subject,
        text=_fill(stencil.text, nudge.recipient_name, links.reply_url, links.unsubscribe_url),
        html=_fill(stencil.html, escape(nudge.recipient_name), escape(links.reply_url), escape(links.unsubscribe_url)),
    )
