"""What a reminder and a follow-up say (issue 13): the view model every channel renders from, and the
email parts. Pure. A reminder's answers go to its nudge's reply (the same signed reply link); a
follow-up's go to its own answer, recorded apart from the first reply."""

from dataclasses import dataclass
from datetime import date

from digests.nudge import PRACTICE_CHOICES, EmailParts
from digests.render import environment
from lesson_bank.model import Lesson

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


@dataclass(frozen=True)
class LoopMessage:
    kind: str  # reminder | followup
    reply_to: int  # the delivery whose answer the buttons record (a reminder's nudge; a follow-up itself)
    recipient_name: str
    lesson: Lesson
    read_on: date  # when the nudge was sent
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


def subject(message: LoopMessage) -> str:
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
    }
    return EmailParts(
        subject(message),
        env.get_template(f"email/{message.kind}.txt.j2").render(context),
        env.get_template(f"email/{message.kind}.html.j2").render(context),
    )
