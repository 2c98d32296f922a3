"""`lessonloop msteams package` and `msteams webhook`: the upload-ready zip and the team's webhook."""

import json
import struct
import zipfile

from sqlmodel import Session, select
from typer.testing import CliRunner

from bot.cli.main import app
from schedules.models import AuditEvent, Team
from tests.helpers import add_people
from tests.bot.teams.fakes import APP_ID


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_package_holds_the_manifest_and_both_icons(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_TEAMS_APP_ID", APP_ID)
    monkeypatch.setenv("LESSONLOOP_BASE_URL", "https://lessonloop.example.nhs.uk")
    output = tmp_path / "app.zip"
    result = CliRunner().invoke(app, ["msteams", "package", "--output", str(output)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json"))
        assert png_size(archive.read("color.png")) == (192, 192)
        assert png_size(archive.read("outline.png")) == (32, 32)
    assert manifest["id"] == APP_ID and manifest["bots"][0]["botId"] == APP_ID
    assert manifest["bots"][0]["scopes"] == ["personal", "team"]
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert manifest["validDomains"] == ["lessonloop.example.nhs.uk"]
    assert len(manifest["description"]["short"]) <= 80 and len(manifest["name"]["short"]) <= 30
    assert all(manifest["developer"][k].startswith("https://") for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))


def test_package_refuses_missing_app_id_or_plain_http(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_BASE_URL", "https://lessonloop.example.nhs.uk")
    no_id = CliRunner().invoke(app, ["msteams", "package", "--output", str(tmp_path / "a.zip")])
    assert no_id.exit_code == 2 and "LESSONLOOP_TEAMS_APP_ID" in no_id.output
    monkeypatch.setenv("LESSONLOOP_TEAMS_APP_ID", APP_ID)
    plain = CliRunner().invoke(app, ["msteams", "package", "--output", str(tmp_path / "b.zip"), "--privacy-url", "http://x"])
    assert plain.exit_code == 2 and "--privacy-url" in plain.output
    assert not (tmp_path / "a.zip").exists() and not (tmp_path / "b.zip").exists()


def test_webhook_command_sets_the_url_and_theme_choice_with_an_audit_record(service, monkeypatch):
    add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
    for key, value in {"LESSONLOOP_DATABASE_URL": service.settings.database_url, "LESSONLOOP_ENV": "test"}.items():
        monkeypatch.setenv(key, value)
    bad = CliRunner().invoke(app, ["msteams", "webhook", "Surgery", "http://insecure"])
    assert bad.exit_code == 2 and "https://" in bad.output
    missing = CliRunner().invoke(app, ["msteams", "webhook", "Nowhere", "https://webhooks.test/x"])
    assert missing.exit_code == 2 and "no team named 'Nowhere'" in missing.output
    ok = CliRunner().invoke(app, ["msteams", "webhook", "Surgery", "https://webhooks.test/x", "--theme"])
    assert ok.exit_code == 0, ok.output
    with Session(service.engine) as session:
        team = session.exec(select(Team)).one()
        assert (team.webhook_url, team.theme_posts) == ("https://webhooks.test/x", True)
        assert session.exec(select(AuditEvent)).one().action == "teams.webhook"


def test_webhook_test_posts_this_weeks_card_to_a_real_http_server(service, monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[dict] = []

    class Workflow(BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Workflow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        add_people(service.engine, ["ann@example.org,Ann,gp,Surgery,NHS,Europe/London,Tuesday,10:00"])
        with Session(service.engine) as session:
            team = session.exec(select(Team)).one()
            team.webhook_url = f"http://127.0.0.1:{server.server_port}/workflows/1"
            session.add(team)
            session.commit()
        for key, value in {"LESSONLOOP_DATABASE_URL": service.settings.database_url, "LESSONLOOP_ENV": "test"}.items():
            monkeypatch.setenv(key, value)
        result = CliRunner().invoke(app, ["msteams", "webhook-test", "Surgery"])
    finally:
        server.shutdown()
    assert result.exit_code == 0, result.output
    (message,) = received
    assert message["attachments"][0]["content"]["type"] == "AdaptiveCard"


async def test_teams_is_a_channel_only_when_all_three_settings_are_given(settings):
    from bot.compose import build_channels

    assert "teams" not in build_channels(settings.model_copy(update={"teams_app_id": APP_ID, "teams_app_password": "x"}))
    channels = build_channels(
        settings.model_copy(update={"teams_app_id": APP_ID, "teams_app_password": "x", "teams_tenant_id": "t"})
    )
    assert channels["teams"].name == "teams"
    await channels["teams"].close()


def test_package_refuses_a_long_developer_name_and_a_non_guid_app_id(tmp_path, monkeypatch):
    monkeypatch.setenv("LESSONLOOP_BASE_URL", "https://lessonloop.example.nhs.uk")
    monkeypatch.setenv("LESSONLOOP_TEAMS_APP_ID", APP_ID)
    long_name = CliRunner().invoke(
        app, ["msteams", "package", "--output", str(tmp_path / "a.zip"), "--developer", "Northshire Safeguarding Partnership"]
    )
    assert long_name.exit_code == 2 and "--developer" in long_name.output and "32" in long_name.output
    monkeypatch.setenv("LESSONLOOP_TEAMS_APP_ID", "lessonloop-bot")
    not_guid = CliRunner().invoke(app, ["msteams", "package", "--output", str(tmp_path / "b.zip")])
    assert not_guid.exit_code == 2 and "GUID" in not_guid.output
    assert not (tmp_path / "a.zip").exists() and not (tmp_path / "b.zip").exists()


def test_the_manifest_is_checked_against_the_schema_of_its_version():
    from bot.teams.package import PackageError, manifest, package, validate

    good = manifest(
        app_id=APP_ID,
        base_url="https://x.example",
        developer="Northshire",
        website="https://x.example",
        privacy_url="https://x.example/p",
        terms_url="https://x.example/t",
    )
    validate(good)  # the real Teams 1.17 schema, vendored from @microsoft/app-manifest
    bad = good | {"name": {"short": "L" * 31, "full": "LessonLoop"}}
    try:
        package(bad)
    except PackageError as exc:
        assert "name.short" in str(exc)
    else:
        raise AssertionError("a 31-character short name passed the Teams schema")
    unknown = good | {"manifestVersion": "0.9"}
    try:
        validate(unknown)
    except PackageError as exc:
        assert "0.9" in str(exc)
    else:
        raise AssertionError("a manifest version without a schema passed")
