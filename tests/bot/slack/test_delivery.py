"""Slack delivery through real slack_sdk code against the loopback Web API: a week's nudges, stored
identities, fallback to email, 429 storms and permanent errors."""

import time
from datetime import timedelta

from sqlmodel import Session, select

from bot.compose import build_service
from schedules.models import AuditEvent, Delivery, Person
from tests.bot.slack.helpers import NOW, add_slack_people, send_week, slack_settings


def deliveries(service) -> list[Delivery]:
    with Session(service.engine) as session:
        return list(session.exec(select(Delivery).order_by(Delivery.id)))


def people(service) -> dict[str, Person]:
    with Session(service.engine) as session:
        return {p.email: p for p in session.exec(select(Person))}


def test_a_week_of_nudges_to_50_people_then_one_call_each(slack_service, slack_api):
    add_slack_people(slack_service, slack_api, 50)
    stats = send_week(slack_service)
    assert (stats.sent, stats.failed, stats.fell_back) == (50, 0, 0)
    assert [slack_api.count(m) for m in ("users.lookupByEmail", "conversations.open", "chat.postMessage")] == [50, 50, 50]
    sent = deliveries(slack_service)
    assert all(d.channel == "slack" and d.status == "sent" for d in sent)
    posted = {c.params["channel"]: c.params for c in slack_api.ok_calls("chat.postMessage")}
    for d in sent:
        channel, ts = d.external_ref.split(":")
        assert channel in posted and ts
    assert {p.slack_user_id for p in people(slack_service).values()} == {f"U{n}" for n in range(50)}
    assert {p.slack_channel_id for p in people(slack_service).values()} == {f"DU{n}" for n in range(50)}
    message = posted["DU0"]
    lesson = slack_service.lessons[sent[0].lesson_id]
    action_ids = [e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [a for a in action_ids if a.startswith("check-")] == [f"check-{n}" for n in range(1, len(lesson.check.options) + 1)]
    assert {"practice-changed", "practice-already", "practice-not_yet", "practice-not_relevant", "reflect"} <= set(action_ids)
    assert message["blocks"][0]["text"]["text"] == lesson.title
    shown = str(message["blocks"])
    assert lesson.try_this_week in shown and "Did this change your practice?" in shown
    assert "do not include details that identify a child or family" in shown
    # the next week: one chat.postMessage per person and nothing else
    stats = send_week(slack_service, NOW + timedelta(days=7))
    assert stats.sent == 50
    assert [slack_api.count(m) for m in ("users.lookupByEmail", "conversations.open", "chat.postMessage")] == [50, 50, 100]


def test_deactivated_or_absent_users_get_email_with_the_reason(slack_service, slack_api):
    add_slack_people(slack_service, slack_api, 3, on_slack=2)
    slack_api.workspace.deactivated.add("U1")
    stats = send_week(slack_service)
    assert (stats.sent, stats.fell_back) == (3, 2)
    by_person = {d.person_id: d for d in deliveries(slack_service)}
    everyone = people(slack_service)
    reasons = {email: (by_person[p.id].channel, by_person[p.id].fallback_reason) for email, p in everyone.items()}
    assert reasons == {
        "person0@example.org": ("slack", None),
        "person1@example.org": ("email", "slack: account_inactive"),
        "person2@example.org": ("email", "slack: users_not_found"),
    }
    assert len(list(slack_service.settings.mail_dir.glob("*.eml"))) == 2
    # permanent: asked once, never retried; and next week they go straight to email
    assert slack_api.count("users.lookupByEmail") == 3 and slack_api.count("chat.postMessage") == 1
    assert everyone["person1@example.org"].channel == everyone["person2@example.org"].channel == "email"
    with Session(slack_service.engine) as session:
        assert len(list(session.exec(select(AuditEvent).where(AuditEvent.action == "slack.unreachable")))) == 2


def test_a_429_storm_is_paced_without_loss(slack_service, slack_api):
    add_slack_people(slack_service, slack_api, 20)
    slack_api.workspace.storm, slack_api.workspace.storm_retry_after = 4, 1
    started = time.monotonic()
    stats = send_week(slack_service)
    elapsed = time.monotonic() - started
    assert (stats.sent, stats.failed, stats.retried) == (20, 0, 0)
    limited = sum(1 for c in slack_api.calls if c.status == 429)
    assert limited == 4 and elapsed >= 1.0
    assert len(slack_api.ok_calls("chat.postMessage")) == 20
    assert len({c.params["channel"] for c in slack_api.ok_calls("chat.postMessage")}) == 20  # none twice
    # after a 429 nobody called again before Retry-After had passed
    first_429 = next(c.at for c in slack_api.calls if c.status == 429)
    later_ok = [c.at for c in slack_api.calls if c.status == 200 and c.at > first_429]
    assert min(later_ok) - first_429 >= 0.95


def test_permanent_errors_are_never_retried_and_transient_ones_are(slack_service, slack_api):
    add_slack_people(slack_service, slack_api, 2)
    slack_api.workspace.errors[("chat.postMessage", "DU0")] = "channel_not_found"
    slack_api.workspace.errors[("chat.postMessage", "DU1")] = "internal_error"
    stats = send_week(slack_service)
    assert (stats.fell_back, stats.retried) == (1, 1)
    assert slack_api.count("chat.postMessage") == 2
    by_person = {d.person_id: d for d in deliveries(slack_service)}
    everyone = people(slack_service)
    gone, later = by_person[everyone["person0@example.org"].id], by_person[everyone["person1@example.org"].id]
    assert (gone.status, gone.channel, gone.fallback_reason) == ("sent", "email", "slack: channel_not_found")
    assert (later.status, later.channel, later.last_error) == ("pending", "slack", "chat.postMessage: internal_error")


def test_a_bad_token_falls_back_to_email_but_keeps_the_preference(settings, slack_api):
    service = build_service(slack_settings(settings, slack_api, slack_bot_token="xoxb-wrong"))
    add_slack_people(service, slack_api, 1)
    stats = send_week(service)
    assert (stats.sent, stats.fell_back) == (1, 1)
    assert deliveries(service)[0].fallback_reason == "slack: invalid_auth"
    assert people(service)["person0@example.org"].channel == "slack"
    service.engine.dispose()


def test_link_finds_people_ahead_of_their_first_nudge(slack_service, slack_api):
    import asyncio

    from bot.cli.slack import link_people

    add_slack_people(slack_service, slack_api, 3, on_slack=2)
    with Session(slack_service.engine) as session:
        for p in session.exec(select(Person)):
            p.channel = "email"
            session.add(p)
        session.commit()
    slack_api.workspace.errors[("users.lookupByEmail", "person1@example.org")] = "internal_error"
    found, missing = asyncio.run(link_people(slack_service, slack_service.channels["slack"].api, switch=True))
    assert found == 1 and missing == {2: "users.lookupByEmail: internal_error", 3: "users_not_found"}
    everyone = people(slack_service)
    assert (everyone["person0@example.org"].channel, everyone["person0@example.org"].slack_channel_id) == ("slack", "DU0")
    assert everyone["person1@example.org"].channel == "email" and everyone["person1@example.org"].slack_user_id is None
    send_week(slack_service)  # linked: no look-up at send time
    assert slack_api.count("users.lookupByEmail") == 3 and slack_api.count("chat.postMessage") == 1


def test_roster_import_defaults_to_slack_once_configured(settings, slack_api, tmp_path):
    from bot.cli.people import import_roster_file

    roster = tmp_path / "roster.csv"
    roster.write_text(
        "email,name,role,team,agency,channel\nann@example.org,Ann,gp,Surgery,NHS,\nbob@example.org,Bob,gp,Surgery,NHS,email\n"
    )
    import_roster_file(slack_settings(settings, slack_api), roster)
    service = build_service(settings)
    assert {e: p.channel for e, p in people(service).items()} == {"ann@example.org": "slack", "bob@example.org": "email"}
    service.engine.dispose()


def test_slack_without_a_signing_secret_is_refused_by_name(settings, slack_api):
    import pytest

    from bot.core.settings import InsecureSettings

    with pytest.raises(InsecureSettings, match="LESSONLOOP_SLACK_SIGNING_SECRET"):
        build_service(slack_settings(settings, slack_api, slack_signing_secret=None))
