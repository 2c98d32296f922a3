"""What a weekly nudge says: the view model every channel renders from, and the email parts."""
from dataclasses import dataclass

from digests.render import environment
from lesson_bank.model import Lesson

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


def subject_line(nudge: Nudge) -> str:
    prefix = "Revisit" if nudge.is_review else "1-minute lesson"
    return f"{prefix}: {nudge.lesson.title}"


def email_parts(nudge: Nudge) -> EmailParts:
    env = environment()
    context = {"nudge": nudge, "lesson": nudge.lesson, "links": nudge.links, "practice_choices": PRACTICE_CHOICES}
    return EmailParts(
        subject=subject_line(nudge),
        text=env.get_template("email/nudge.txt.j2").render(context),
        html=env.get_template("email/nudge.html.j2").render(context),
    )
