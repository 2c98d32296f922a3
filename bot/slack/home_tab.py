"""Slack App Home: what is coming next, lessons seen and my own replies; pause, resume, change day and
time. Only the person's own rows are read; nothing about anyone else is shown."""

import asyncio
import logging
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_bolt.async_app import AsyncApp
from sqlmodel import Session, select

from bot.core.service import Service

from bot.core.clock import utcnow
from bot.slack.web import SlackApi
from bot.core.learning_records import record_url
from digests.loop_home import record_blocks, reminder_switch_blocks
from digests.slack_home import HomeData, SeenLesson, home_view
from digests.slack_voice import voice_home_blocks
from schedules.models import Delivery, Person
from schedules.slack_people import (
    link_slack_user,
    next_pending,
    own_history,
    pause,
    person_for_slack_user,
    resume,
    set_nudge_slot,
)
from schedules.slots import weekly_slot

log = logging.getLogger("lessonloop.slack")


async def find_person(service: Service, api: SlackApi, user_id: str) -> int | None:
    """The person behind a Slack user: stored id first, else their email via users.info (then stored)."""

    def stored() -> int | None:
        with Session(service.engine) as session:
            person = person_for_slack_user(session, user_id=user_id)
            return person.id if person else None

    if (person_id := await asyncio.to_thread(stored)) is not None:
        return person_id
    info = await api.lookup("users.info", user=user_id)
    email = ((info.get("user") or {}).get("profile") or {}).get("email")
    if not email:
        return None

    def link() -> int | None:
        with Session(service.engine) as session:
            person = link_slack_user(session, email=email, user_id=user_id)
            session.commit()
            return person.id if person else None

    return await asyncio.to_thread(link)


def _next_nudge(session: Session, person: Person, now: datetime) -> datetime | None:
    if person.status != "active":
        return None
    assert person.id is not None  # a stored person
    pending = next_pending(session, person_id=person.id)
    if pending is None:
        hour, minute = (int(p) for p in person.nudge_time.split(":"))
        planned = set(session.exec(select(Delivery.period).where(Delivery.person_id == person.id)))
        slot = weekly_slot(person.timezone, person.nudge_day, time(hour, minute), now)
        if slot.period in planned or slot.at < now:
            slot = weekly_slot(person.timezone, person.nudge_day, time(hour, minute), now + timedelta(days=7))
        pending = slot.at
    return pending.astimezone(ZoneInfo(person.timezone))


def home_data(service: Service, person_id: int, now: datetime) -> HomeData:
    with Session(service.engine) as session:
        person = session.get(Person, person_id)
        assert person is not None  # found or linked just before by find_person
        seen = [
            SeenLesson(_title(service, row.lesson_id), row.sent_at.date(), row.practice, row.check_correct)
            for row in own_history(session, person_id=person_id)
        ]
        return HomeData(
            person.name.split()[0],
            person.status,
            person.paused_until,
            person.nudge_day,
            person.nudge_time,
            person.timezone,
            _next_nudge(session, person, now),
            seen,
        )


def _loop_blocks(service: Service, person_id: int) -> list[dict]:
    with Session(service.engine) as session:
        person = session.get(Person, person_id)
        assert person is not None  # found or linked just before by find_person
        switch = reminder_switch_blocks(person.reminders) if service.settings.reminders else []
        return switch + record_blocks(record_url(service, person_id, utcnow()))


def _title(service: Service, lesson_id: str) -> str:
    lesson = service.lessons.get(lesson_id)
    return lesson.title if lesson else lesson_id


def change_person(service: Service, person_id: int, action_id: str, action: dict, now: datetime) -> None:
    with Session(service.engine) as session:
        person = session.get(Person, person_id)
        assert person is not None  # found or linked just before by find_person
        if action_id == "home_pause":
            pause(session, person=person, weeks=int(action["selected_option"]["value"]), today=now.date())
        elif action_id == "home_resume":
            resume(session, person=person)
        elif action_id == "home_day":
            set_nudge_slot(session, person=person, day=int(action["selected_option"]["value"]))
        elif action_id == "home_time":
            set_nudge_slot(session, person=person, at=action["selected_time"])
        session.commit()


async def publish_home(service: Service, api: SlackApi, user_id: str) -> None:
    person_id = await find_person(service, api, user_id)
    view: dict[str, Any]
    if person_id is None:
        view = {
            "type": "home",
            "blocks": [
                {
                    "type": "section",
                    "text": {
                        "type": "mrkdwn",
                        "text": "You are not on the LessonLoop list yet. Ask your safeguarding lead to add you.",
                    },
                }
            ],
        }
    else:
        view = home_view(await asyncio.to_thread(home_data, service, person_id, utcnow()))
        view["blocks"][4:4] = await asyncio.to_thread(_loop_blocks, service, person_id)  # issue 13: after the controls
        view["blocks"][-1:-1] = voice_home_blocks()  # propose a lesson, log a practice moment (issue 17)
    await api.post("views.publish", user_id=user_id, view=view)


def register(app: AsyncApp, service: Service, api: SlackApi) -> None:
    @app.event("app_home_opened")
    async def home_opened(event):
        if event.get("tab", "home") == "home":
            await publish_home(service, api, event["user"])

    @app.action(re.compile(r"^home_(pause|resume|day|time)$"))
    async def home_changed(ack, body, action):
        await ack()
        user_id = body["user"]["id"]
        person_id = await find_person(service, api, user_id)
        if person_id is None:
            return
        try:
            await asyncio.to_thread(change_person, service, person_id, action["action_id"], action, utcnow())
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("home tab change refused: %s", exc)
        await publish_home(service, api, user_id)
