"""What a reminder and a follow-up say (issue 13): the view model every channel renders from, and the
email parts. Pure. A reminder's answers go to its nudge's reply (the same signed reply link); a
follow-up's go to its own answer, recorded apart from the first reply."""

from dataclasses import dataclass
from datetime import date

from digests.nudge import PRACTICE_CHOICES, EmailParts
from digests.render import environment
from lesson_bank.model import Lesson
from lesson_bank.taxonomy import load_taxonomy

FOLLOWUP_CHOICES = (
    ("helped", "I tried it and it helped"),
    ("not_fit", "I tried it and it did not fit"),
    ("not_yet", "Not had the chance yet"),
    ("not_relevant", "No longer relevant"),
)
BARRIER_PROMPT = "What got in the way? (optional, one line)"
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
    kind: str  # reminder | followup | checkin
    reply_to: int  # the delivery whose answer the buttons record (a reminder's nudge; a follow-up or check-in itself)
    recipient_name: str
    lesson: Lesson
    read_on: date  # when the nudge was sent (a check-in: the day of its roll-out step)
    links: LoopLinks


def followup_question(message: LoopMessage) -> str:
    return (
        f"On {message.read_on:%-d %B} you read “{message.lesson.title}” and planned to try: "
        f"{message.lesson.try_this_week} Did you?"
    )


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
    return f"{'Reminder' if message.kind == 'reminder' else 'Did you try it?'}: {message.lesson.title}"


def email_parts(message: LoopMessage) -> EmailParts:
    env = environment()
    context = {
        "m": message,
        "lesson": message.lesson,
        "links": message.links,
        "practice_choices": PRACTICE_CHOICES,
        "followup_choices": FOLLOWUP_CHOICES,
        "question": followup_question(message),
        "reminder": reminder_line(message),
        "barrier_prompt": BARRIER_PROMPT,
        "checkin_intro": CHECKIN_INTRO,
        "checkin_practice": checkin_practice_question(message.lesson) if message.kind == "checkin" else "",
    }
    return EmailParts(
        subject(message),
        env.get_template(f"email/{message.kind}.txt.j2").render(context),
        env.get_template(f"email/{message.kind}.html.j2").render(context),
    )
