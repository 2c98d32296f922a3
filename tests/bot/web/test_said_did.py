"""You said, we did: a lead's note reaches the people it is addressed to once, inside their next nudge
(email text and HTML here; Slack and Teams in their own tests), never as a message of its own."""

import asyncio
import json
from datetime import timedelta
from email import message_from_bytes, policy
from email.utils import parseaddr

from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app as cli
from bot.jobs.dispatcher import dispatch_due
from bot.jobs.planning import run_planning
from schedules.models import Delivery
from schedules.voice_models import SaidDidSeen
from tests.bot.web.voice_helpers import NOW, lead_client, send_nudges

NOTE = "You told us handovers lose visits; every handover now has a named owner for open visits."
ROWS = [
    "a@example.org,Ann A,social-worker,North,Agency,Europe/London,Tuesday,10:00",
    "b@example.org,Bob B,social-worker,South,Agency,Europe/London,Tuesday,10:00",
]


def mails(service) -> dict[str, list]:
    out: dict[str, list] = {}
    for path in sorted(service.settings.mail_dir.glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        out.setdefault(parseaddr(message["To"])[1], []).append(message)
    return out


def test_a_note_goes_once_with_the_next_nudge_to_its_team_only(service):
    from tests.helpers import add_people

    add_people(service.engine, ROWS)
    lead = lead_client(service, "safe@example.org", "safeguarding_lead")
    bad = lead.post(
        "/dashboard/said-did", data={"about": "factor:handover", "audience_kind": "team", "audience": "Nowhere", "text": NOTE}
    )
    assert bad.status_code == 422 and "no team named" in bad.text and NOTE in bad.text
    added = lead.post(
        "/dashboard/said-did", data={"about": "factor:handover", "audience_kind": "team", "audience": "North", "text": NOTE}
    )
    assert added.status_code == 200 and "not yet" in added.text
    run_planning(service, NOW)
    asyncio.run(dispatch_due(service, lambda: NOW))
    sent = mails(service)
    (ann,), (bob,) = sent["a@example.org"], sent["b@example.org"]
    assert NOTE in ann.get_body(("plain",)).get_content() and NOTE in ann.get_body(("html",)).get_content()
    assert "You said, we did" in ann.get_body(("html",)).get_content()
    assert NOTE not in bob.get_body(("plain",)).get_content() and "YOU SAID" not in bob.get_body(("plain",)).get_content()
    later = NOW + timedelta(days=7)
    run_planning(service, later)
    asyncio.run(dispatch_due(service, lambda: later))
    second = [m for m in mails(service)["a@example.org"] if m is not None]
    assert len(second) == 2 and sum(NOTE in m.get_body(("plain",)).get_content() for m in second) == 1  # once
    with Session(service.engine) as session:
        (seen,) = session.exec(select(SaidDidSeen)).all()
        first = session.exec(select(Delivery).order_by(Delivery.id)).first()
    assert seen.delivery_id == first.id
    page = lead.get("/dashboard/said-did").text
    assert "<td>1</td>" in page and "team: North" in page


def test_a_safeguarding_lead_writes_only_to_their_own_agency(service):
    send_nudges(service, ROWS)
    lead = lead_client(service, "safe@example.org", "safeguarding_lead")
    other = lead.post(
        "/dashboard/said-did", data={"about": "barrier:neglect", "audience_kind": "agency", "audience": "Elsewhere", "text": "x"}
    )
    assert other.status_code == 422 and "own agency" in other.text
    assert lead_client(service, "tl@example.org", "team_lead").get("/dashboard/said-did").status_code == 403


def test_cli_add_and_list(service, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_DATABASE_URL", service.settings.database_url)
    monkeypatch.setenv("LESSONLOOP_ENV", "test")
    runner = CliRunner()
    assert (
        runner.invoke(cli, ["said-did", "add", "--about", "factor:nonsense-kind", "--to", "crowd:x", "--text", NOTE]).exit_code
        == 2
    )
    added = runner.invoke(cli, ["said-did", "add", "--about", "factor:workload", "--to", "role:social-worker", "--text", NOTE])
    assert added.exit_code == 0, added.output
    (row,) = json.loads(runner.invoke(cli, ["said-did", "list", "--json"]).stdout)
    assert row["audience"] == "social-worker" and row["reached"] == 0 and row["last_sent"] is None
