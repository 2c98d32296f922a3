"""Slack App Home, the agenda item and the help text as Block Kit. Pure: data in, blocks out.

The Home tab shows one person only their own things: never anyone else's."""

from dataclasses import dataclass, field
from datetime import date, datetime

from digests.agenda import AgendaItem
from digests.nudge import PRACTICE_CHOICES
from digests.markdown import slack_escape as esc
from digests.slack_nudge import mrkdwn, sources_mrkdwn

DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
PAUSE_WEEKS = (1, 2, 4, 8)
HELP_LINES = (
    "LessonLoop sends you one short lesson from case reviews each week, right here; tap an answer, it takes a minute.",
    "Your answers shape when a lesson comes back; leads only ever see anonymous totals, never who said what.",
    "`/lessonloop agenda` gives your team's meeting item for this week; open the Home tab to pause or change your day and time.",
)


@dataclass(frozen=True)
class SeenLesson:
    title: str
    sent_on: date
    practice: str | None = None
    check_correct: bool | None = None


@dataclass(frozen=True)
class HomeData:
    first_name: str
    status: str
    paused_until: date | None
    nudge_day: int
    nudge_time: str
    timezone: str
    next_nudge: datetime | None  # local time
    seen: list[SeenLesson] = field(default_factory=list)


def _option(text: str, value: str) -> dict:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _schedule_line(data: HomeData) -> str:
    if data.status == "paused":
        until = f" until {data.paused_until:%A %-d %B}" if data.paused_until else ""
        return f"Your lessons are *paused*{until}."
    if data.next_nudge is None:
        return "No lesson is planned for you at the moment."
    return f"Next lesson: *{data.next_nudge:%A %-d %B at %H:%M}* ({data.timezone})."


def _controls(data: HomeData) -> dict:
    day = _option(DAYS[data.nudge_day], str(data.nudge_day))
    pause_or_resume = (
        {
            "type": "button",
            "action_id": "home_resume",
            "text": {"type": "plain_text", "text": "Resume my lessons"},
            "value": "resume",
            "style": "primary",
        }
        if data.status == "paused"
        else {
            "type": "static_select",
            "action_id": "home_pause",
            "placeholder": {"type": "plain_text", "text": "Pause for…"},
            "options": [_option(f"{n} week{'s' if n > 1 else ''}", str(n)) for n in PAUSE_WEEKS],
        }
    )
    return {
        "type": "actions",
        "block_id": "home_controls",
        "elements": [
            {
                "type": "static_select",
                "action_id": "home_day",
                "initial_option": day,
                "options": [_option(name, str(n)) for n, name in enumerate(DAYS)],
            },
            {"type": "timepicker", "action_id": "home_time", "initial_time": data.nudge_time},
            pause_or_resume,
        ],
    }


def _seen_line(item: SeenLesson) -> str:
    labels = dict(PRACTICE_CHOICES)
    answer = labels.get(item.practice, "no answer yet") if item.practice else "no answer yet"
    checks: dict[bool | None, str] = {True: " · check ✅", False: " · check ✗"}
    check = checks.get(item.check_correct, "")
    return f"• {item.sent_on:%-d %b}: *{esc(item.title)}* · {answer}{check}"


HOME_LIST_LIMIT = 20


def _seen_heading(data: HomeData) -> str:
    """The count says what the list shows: "(26)" over a list of 20 read as a fault."""
    shown = min(len(data.seen), HOME_LIST_LIMIT)
    count = f"the latest {shown} of {len(data.seen)}" if len(data.seen) > shown else str(len(data.seen))
    return f"*Lessons you have had ({count})* and your own replies"


def home_view(data: HomeData) -> dict:
    seen = [_seen_line(item) for item in data.seen[:HOME_LIST_LIMIT]] or ["Nothing yet: your first lesson is on its way."]
    return {
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"Hello {data.first_name}"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _schedule_line(data)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "Change your lesson day and time, or take a break:"}]},
            _controls(data),
            {"type": "divider"},
            {"type": "section", "text": {"type": "mrkdwn", "text": _seen_heading(data)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(seen)[:3000]}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": "Only you can see this page. Leads see anonymous totals only."}],
            },
        ],
    }


def agenda_blocks(item: AgendaItem) -> list[dict]:
    questions = "\n".join(f"{n}. {esc(q)}" for n, q in enumerate(item.questions, 1))
    return [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"Team agenda · {item.week_label} · {item.minutes} minutes"[:150]},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"For {esc(item.team_name)}"}]},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{esc(item.title)}*  ({esc(item.theme_label)})"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": mrkdwn(item.vignette)[:3000]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Discuss*\n{questions}"[:3000]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Agree one action:* {esc(item.team_action)}"[:3000]}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": ("Source: " + sources_mrkdwn(item.sources))[:3000]}]},
    ]


def agenda_text(item: AgendaItem) -> str:
    return f"Team agenda for {esc(item.team_name)}, {item.week_label}: {esc(item.title)}"


def help_text() -> str:
    return "\n".join(HELP_LINES)
