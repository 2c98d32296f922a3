"""Golden payloads: every message kind the service sends, built by the real renderers for the hardest
inputs (the longest lessons, the longest options, a sensitive lesson, and hostile names with &, <, >,
emoji and 80-character team names). The renderer tests validate and draw each of them."""

from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cache

from bot.core.content import load_bank
from bot.core.settings import Settings
from digests.agenda import AgendaItem, plain_agenda_item
from digests.agenda_render import agenda_email
from digests.barriers import BarrierTheme
from digests.cards import ReplyState as CardState
from digests.cards import agenda_card, fitted_nudge_card, theme_card
from digests.digest import Digest, digest_email
from digests.nudge import EmailParts, Nudge, NudgeLinks, Sender, email_parts
from functools import partial

from lesson_bank.local import render_local
from lesson_bank.local import DEFAULTS
from digests.render import render
from digests.signin import signin_email
from digests.slack_home import HomeData, SeenLesson, agenda_blocks, home_view
from digests.slack_nudge import ReplyState as SlackState
from digests.slack_nudge import concern_blocks, nudge_blocks, reflection_modal
from digests.statistics import StatsRow
from lesson_bank.model import Lesson
from lesson_bank.taxonomy import load_taxonomy

ORGANISATION = "Northshire Children & Families <Safeguarding> Partnership"
CONTACT = "the duty desk <0800 123 456> & out-of-hours team"
HOSTILE_TEAM = ("Children & Families <North> 🧒 Early Help, Youth Justice & A&E liaison team (West)")[:80]
HOSTILE_NAME = "Zoë <O'Brien> & 🙂"
LINKS = NudgeLinks("https://lessonloop.example.org/r/tok.abc", "https://lessonloop.example.org/u/tok.def")
PAGE = "https://lessonloop.example.org/a/tok.ghi?week=2026-W50"
WEEK = "2026-W50"
CONCERN = (
    "If you are worried about a child now, please act now: LessonLoop is not a referral route and nobody reads "
    f"reflections to act on them. Contact {CONTACT}, or follow your local safeguarding procedure today. "
    "If a child is in immediate danger, call 999."
)


@cache
def lessons() -> tuple[Lesson, ...]:
    return tuple(load_bank(Settings(env="test"), date(2026, 12, 1)).lessons)


def _size(lesson: Lesson) -> int:
    return len(lesson.body) + sum(len(o) for o in lesson.check.options) + len(lesson.try_this_week)


@cache
def hard_lessons() -> dict[str, Lesson]:
    """The longest lesson, the one with the longest option, a sensitive one, and a hostile one."""
    bank = lessons()
    longest = max(bank, key=_size)
    longest_option = max(bank, key=lambda lesson: max(len(o) for o in lesson.check.options))
    sensitive = next((lesson for lesson in bank if lesson.sensitive and lesson.support), longest)
    local = next(lesson for lesson in bank if "{local:" in lesson.body + lesson.try_this_week + lesson.check.question)
    hostile = replace(
        longest,
        id=f"{longest.id}-hostile",
        title='A&E at <1 year: "bruising" > nothing? 🩹',
        body='## What happened\n\nA baby <1 year old came to A&E with a bruise. Staff said **"it\'s nothing"** & '
        "sent her home. See [the guidance](https://example.org/guide?a=1&b=<2>).\n\n- one & two\n- <three>",
        try_this_week="Check your A&E <-> health visitor route works & who owns it.",
        check=replace(
            longest.check,
            question="What is right for a baby <1 year & a bruise?",
            options=("Refer & tell the lead <same day>", *longest.check.options[1:]),
        ),
    )
    return {"longest": longest, "longest-option": longest_option, "sensitive": sensitive, "local": local, "hostile": hostile}


CONTACTS = {key: f"the Northshire {key.replace('_', ' ')} <0300 123 4567> & team" for key in DEFAULTS}


def read(lesson: Lesson, *, is_review: bool = False) -> Lesson:
    """As the dispatcher sends it: placeholders filled from settings, the review check on reviews."""
    return lesson.with_text(partial(render_local, contacts=CONTACTS)).as_asked(is_review)


def agenda_item(lesson: Lesson, team_name: str = HOSTILE_TEAM) -> AgendaItem:
    label = load_taxonomy().theme_label(lesson.primary_theme)
    return plain_agenda_item(team_id=1, team_name=team_name, week=WEEK, lesson=read(lesson), theme_label=label)


def nudge(lesson: Lesson, *, is_review: bool = False) -> Nudge:
    return Nudge(HOSTILE_NAME, read(lesson, is_review=is_review), LINKS, is_review=is_review, first_nudge=True)


# ---- Slack ---------------------------------------------------------------------------------------------


def slack_payloads() -> dict[str, dict]:
    """name -> {"blocks": [...]} for messages, or a view for App Home and the modal."""
    out: dict[str, dict] = {}
    for key, lesson in hard_lessons().items():
        out[f"slack-dm-{key}"] = {"blocks": nudge_blocks(read(lesson), 42)}
        answered = SlackState(check_answer=2, check_correct=False, practice="not_relevant", has_reflection=True)
        out[f"slack-dm-after-reply-{key}"] = {"blocks": nudge_blocks(read(lesson), 42, state=answered)}
        out[f"slack-review-{key}"] = {"blocks": nudge_blocks(read(lesson, is_review=True), 42, is_review=True)}
        out[f"slack-slash-agenda-{key}"] = {"blocks": agenda_blocks(agenda_item(lesson))}
    lesson = hard_lessons()["hostile"]
    out["slack-modal"] = reflection_modal(lesson, 42, "x" * 2000)
    out["slack-concern"] = {"blocks": concern_blocks(CONCERN)}
    seen = [SeenLesson(f"{lesson.title} #{n}", date(2026, 6, 1), "changed", n % 2 == 0) for n in range(26)]
    out["slack-app-home"] = home_view(
        HomeData(HOSTILE_NAME, "active", None, 1, "10:00", "Europe/London", datetime(2026, 12, 8, 10), seen)
    )
    return out


# ---- Teams ---------------------------------------------------------------------------------------------


def teams_cards() -> dict[str, dict]:
    out: dict[str, dict] = {}
    for key, lesson in hard_lessons().items():
        out[f"teams-nudge-{key}"] = fitted_nudge_card(nudge(lesson), "tok")
        out[f"teams-review-{key}"] = fitted_nudge_card(nudge(lesson, is_review=True), "tok")
        after = CardState(check_answer=2, check_correct=False, practice="changed", has_reflection=True)
        out[f"teams-after-reply-{key}"] = fitted_nudge_card(nudge(lesson), "tok", after, notice=CONCERN)
        out[f"teams-channel-agenda-{key}"] = agenda_card(agenda_item(lesson), PAGE)
        out[f"teams-channel-theme-{key}"] = theme_card(agenda_item(lesson), PAGE)
    return out


# ---- Email ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldenEmail:
    to_name: str
    parts: EmailParts


def _digest(*, hidden: bool) -> Digest:
    rate = "suppressed" if hidden else 0.42
    total = {
        "delivered": 180,
        "reply_rate": rate,
        "check_accuracy": "suppressed" if hidden else 0.77,
        "changed_share": rate,
        "already_share": "suppressed" if hidden else 0.31,
        "not_yet_share": "suppressed" if hidden else 0.2,
    }
    row = StatsRow(
        "recognition", "Recognising & responding <to> neglect", {"not_relevant": 3}, {"changed_share": 0.18, "not_yet_share": 0.5}
    )
    barriers = (BarrierTheme("time", "Time & caseload", 9, ("No time between visits & duty <again>", "Caseload too high")),)
    weeks = tuple(
        StatsRow(
            f"2026-W{n}",
            f"2026-W{n}",
            {},
            {"reply_rate": None if hidden or n == 40 else 0.3 + n / 200, "changed_share": None if hidden else 0.1 + n / 300},
        )
        for n in range(39, 51)
    )
    return Digest(
        ORGANISATION if not hidden else HOSTILE_TEAM,
        WEEK,
        total,
        None if hidden else -3.5,
        () if hidden else (row,),
        () if hidden else (row,),
        () if hidden else barriers,
        5,
        weeks,
    )


def emails() -> dict[str, GoldenEmail]:
    sender = Sender(ORGANISATION, 5)
    out: dict[str, GoldenEmail] = {}
    for key, lesson in hard_lessons().items():
        out[f"email-nudge-{key}"] = GoldenEmail(HOSTILE_NAME, email_parts(nudge(lesson), sender))
        out[f"email-review-{key}"] = GoldenEmail(HOSTILE_NAME, email_parts(nudge(lesson, is_review=True), sender))
        out[f"email-agenda-{key}"] = GoldenEmail("Ann Lead", agenda_email(agenda_item(lesson), PAGE, ORGANISATION))
    dashboard = "https://lessonloop.example.org/dashboard"
    out["email-digest"] = GoldenEmail(
        "Sam Lead", digest_email(_digest(hidden=False), dashboard_url=dashboard, organisation=ORGANISATION, recipient_name="Sam")
    )
    out["email-digest-all-hidden"] = GoldenEmail(
        "Sam Lead", digest_email(_digest(hidden=True), dashboard_url=dashboard, organisation=ORGANISATION, recipient_name="Sam")
    )
    out["email-signin"] = GoldenEmail("Sam Lead", signin_email("https://lessonloop.example.org/dashboard/s/tok", ORGANISATION))
    return out


# ---- Pages ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Reply:
    check_answer: int | None
    check_correct: bool | None


def pages() -> dict[str, str]:
    """Each server-rendered page, from the same templates and context the handlers use."""
    from markupsafe import Markup

    from digests.agenda_render import agenda_markdown
    from digests.markdown import to_html
    from digests.nudge import PRACTICE_CHOICES

    lesson = read(hard_lessons()["hostile"])
    item = agenda_item(lesson)
    record = type("Record", (), {"discussed_at": datetime(2026, 12, 9), "action_agreed": "Check the A&E <-> HV route"})()
    return {
        "page-reply": render(
            "pages/reply.html.j2",
            lesson=lesson,
            action="/r/tok",
            practice_choices=PRACTICE_CHOICES,
            check=2,
            practice=None,
            reflection="",
            error=None,
            limit=2000,
            contact=CONTACT,
        ),
        "page-thanks-concern": render(
            "pages/thanks.html.j2",
            reply=_Reply(2, False),
            lesson=lesson,
            action="/r/tok",
            removed=["a name", "a postcode"],
            live_concern=True,
            contact=CONTACT,
        ),
        "page-thanks-right": render(
            "pages/thanks.html.j2",
            reply=_Reply(lesson.check.answer, True),
            lesson=lesson,
            action="/r/tok",
            removed=[],
            live_concern=False,
            contact=CONTACT,
        ),
        "page-agenda": render(
            "pages/agenda.html.j2",
            item=item,
            body=Markup(to_html(agenda_markdown(item))),
            record=record,
            action="/a/tok",
            error=None,
            action_text=record.action_agreed or "",
            limit=500,
        ),
        "page-not-found": render(
            "pages/message.html.j2", heading="Page not found", message="There is no page here.", action=None, button=None
        ),
        "page-unsubscribe": render(
            "pages/message.html.j2",
            heading="Stop weekly lessons?",
            message="You will get no more.",
            action="/u/tok",
            button="Stop my weekly lessons",
        ),
        "page-signin": render("pages/signin.html.j2", action="/dashboard/sign-in", sent=False),
        "page-signin-sent": render("pages/signin.html.j2", action="/dashboard/sign-in", sent=True),
    }
