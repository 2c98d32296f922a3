"""What a reminder, a follow-up (issue 13) and an impact question (issue 17) say: the view model every
channel renders from, and the email parts. Pure. A reminder's answers go to its nudge's reply (the same
signed reply link); a follow-up's and an impact question's go to their own answer, recorded apart from the
first reply. Follow-ups and impact questions are asked alike (one-tap answers and an optional line), so
every channel renders both from one `Asked` each."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from digests.nudge import PRACTICE_CHOICES, EmailParts
from digests.render import environment
from lesson_bank.model import Lesson
from lesson_bank.taxonomy import load_taxonomy
from schedules.impact_planner import SCALE

FOLLOWUP_CHOICES = (
    ("helped", "I tried it and it helped"),
    ("not_fit", "I tried it and it did not fit"),
    ("not_yet", "Not had the chance yet"),
    ("not_relevant", "No longer relevant"),
)
BARRIER_PROMPT = "What got in the way? (optional, one line)"
IMPACT_CHOICES = SCALE  # the research's own five-point scale: a lot, a little, not sure, not much, not at all
IMPACT_PROMPT = "Anything to add? (optional, one line)"
ONLY_ONCE = "This is the only reminder for this lesson."


@dataclass(frozen=True)
class LoopLinks:
    reply_url: str  # reminder: the nudge's signed reply page; follow-up: its own signed page
    unsubscribe_url: str
    reminders_off_url: str = ""
    record_url: str = ""

    def practice(self, choice: str) -> str:
        return f"{self.reply_url}?practice={choice}"

    def outcome(self, choice: str) -> str:
        return f"{self.reply_url}?outcome={choice}"

    def check(self, number: int) -> str:
        return f"{self.reply_url}?check={number}"


@dataclass(frozen=True)
class LoopMessage:
    kind: str  # reminder | followup | impact | checkin
    reply_to: (
        int  # the delivery whose answer the buttons record (a reminder's nudge; a follow-up, impact question or check-in itself)
    )
    recipient_name: str
    lesson: Lesson
    read_on: date  # when the nudge was sent (a check-in: the day of its roll-out step)
    links: LoopLinks


def followup_question(message: LoopMessage) -> str:
    return (
        f"On {message.read_on:%-d %B} you read “{message.lesson.title}” and planned to try: "
        f"{message.lesson.try_this_week} Did you?"
    )


def impact_question(message: LoopMessage) -> str:
    return f"Has “{message.lesson.title}” made a difference to your practice? (You read it on {message.read_on:%-d %B %Y}.)"


@dataclass(frozen=True)
class Asked:
    """How a follow-up or an impact question is put in every channel."""

    heading: str
    choices: tuple[tuple[str, str], ...]
    prompt: str  # the optional line
    button: str  # Slack: the button that opens the optional line
    question: Callable[[LoopMessage], str]


ASKED = {
    "followup": Asked("Did you try it?", FOLLOWUP_CHOICES, BARRIER_PROMPT, "What got in the way?", followup_question),
    "impact": Asked("Has it made a difference?", IMPACT_CHOICES, IMPACT_PROMPT, "Add a line", impact_question),
}


def asked(kind: str) -> Asked:
    """A kind with answers of its own (a follow-up or an impact question)."""
    try:
        return ASKED[kind]
    except KeyError:
        raise ValueError(f"'{kind}' is not a follow-up or an impact question") from None


def reminder_line(message: LoopMessage) -> str:
    return (
        f"On {message.read_on:%-d %B} you were sent “{message.lesson.title}”. If you have a minute, "
        f"one tap is enough. {ONLY_ONCE}"
    )


# A roll-out check-in (issue 13, part 5): the knowledge check of a lesson on the theme, asked on its own (no
# lesson, no right answer shown after: the same short measure for teams that have started and teams waiting).
CHECKIN_INTRO = (
    "A two-tap check-in: every team taking part answers the same question, so your partnership can tell "
    "whether LessonLoop makes a difference. Answers are anonymous to your leads; nobody is marked."
)


def theme_of(lesson: Lesson) -> str:
    return load_taxonomy().theme_label(lesson.primary_theme)


def checkin_practice_question(lesson: Lesson) -> str:
    return f"In the last few weeks, have you changed anything in how you work on {theme_of(lesson).lower()}?"


def subject(message: LoopMessage) -> str:
    if message.kind == "checkin":
        return f"A two-tap check-in: {theme_of(message.lesson)}"
    return f"{'Reminder' if message.kind == 'reminder' else asked(message.kind).heading}: {message.lesson.title}"


def email_parts(message: LoopMessage) -> EmailParts:
    env = environment()
    context: dict[str, object] = {
        "m": message,
        "lesson": message.lesson,
        "links": message.links,
        "practice_choices": PRACTICE_CHOICES,
        "reminder": reminder_line(message),
        "checkin_intro": CHECKIN_INTRO,
        "checkin_practice": checkin_practice_question(message.lesson) if message.kind == "checkin" else "",
    }
    template = message.kind
    if message.kind in ASKED:  # a follow-up and an impact question share one template
        put = asked(message.kind)
        context |= {"heading": put.heading, "question": put.question(message), "choices": put.choices, "prompt": put.prompt}
        template = "followup"
    return EmailParts(
        subject(message),
        env.get_template(f"email/{template}.txt.j2").render(context),
        env.get_template(f"email/{template}.html.j2").render(context),
    )
