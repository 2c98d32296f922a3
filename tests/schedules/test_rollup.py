"""The statistics rollup agrees with the raw rows, and an incremental refresh picks up a new reply."""

import asyncio

from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.web.app import create_app
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from bot.core.stats import refresh_rollup, theme_map
from schedules.models import Delivery
from schedules.statistics import Filter, grouped, grouped_raw, overall, overall_raw
from tests.conftest import utc
from tests.helpers import add_people
from tests.seed_history import seed_history


def test_rollup_counts_equal_raw_counts(service):
    seed_history(service.engine, list(service.lessons.values()), teams=3, per_team=10, weeks=6)
    refresh_rollup(service)
    themes = theme_map(service)
    with Session(service.engine) as session:
        for by in ("theme", "role", "team", "agency", "week"):
            rolled = {g.key: g.counts for g in grouped(session, by=by, where=Filter(agency="Agency 1"), theme_of=themes)}
            raw = {g.key: g.counts for g in grouped_raw(session, by=by, where=Filter(agency="Agency 1"), theme_of=themes)}
            assert rolled == raw, by
        assert overall(session, where=Filter()).counts == overall_raw(session, where=Filter()).counts


def test_incremental_refresh_sees_a_new_reply(service):
    add_people(service.engine, ["ann@example.org,Ann,social-worker,Team,Agency,Europe/London,Tuesday,10:00"])
    now = utc(2026, 11, 24, 12)
    run_planning(service, now)
    asyncio.run(dispatch_due(service, lambda: now))
    assert refresh_rollup(service) is None  # first time: everything
    with Session(service.engine) as session:
        delivery = session.exec(select(Delivery)).one()
        token = service.signer.sign("reply", delivery.id, utc(2100, 1, 1))
    TestClient(create_app(service)).post(f"/r/{token}", data={"practice": "changed"})
    assert refresh_rollup(service) == [delivery.period]  # only the week that changed
    with Session(service.engine) as session:
        assert overall(session, where=Filter()).counts["changed"] == 1
    assert refresh_rollup(service) in ([], [delivery.period])  # recent weeks may be looked at again (clock-skew margin)
    with Session(service.engine) as session:
        assert overall(session, where=Filter()).counts["changed"] == 1  # never counted twice
