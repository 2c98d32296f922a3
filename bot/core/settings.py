"""Configuration from LESSONLOOP_* environment variables (and an optional .env). Built on demand, never at import."""
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"
DEV_MODES = {"dev", "development", "demo", "test"}


class InsecureSettings(RuntimeError):
    pass


class SmtpTarget(BaseModel):
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False  # implicit TLS (smtps)
    start_tls: bool | None = None  # None: upgrade if the server offers it


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LESSONLOOP_", env_file=".env", extra="ignore")

    env: str = "production"
    database_url: str = "sqlite:///./lessonloop.db"
    smtp_url: str | None = None
    mail_dir: Path = Path("./outbox")
    secret_key: str = DEFAULT_SECRET
    base_url: str = "http://localhost:8000"
    from_email: str = "LessonLoop <lessonloop@localhost>"
    local_lessons: Path | None = None
    # Local detail for lesson placeholders such as {local:front_door} (issue 10): one field each, or one YAML
    # file of key: text. Unset keys read as a sensible default (lesson_bank.local.DEFAULTS).
    local_contacts_file: Path | None = None
    local_front_door: str | None = None
    local_out_of_hours: str | None = None
    local_lado: str | None = None
    local_escalation: str | None = None
    local_safeguarding_lead: str | None = None
    link_days: int = 30  # how long reply links stay valid
    smtp_connections: int = 8
    dispatch_batch: int = 500
    max_attempts: int = 6
    working_hours: str = "08:00-18:00"
    organisation_contact: str = "your designated safeguarding lead"
    organisation_name: str = "Your organisation"  # named in every email (and its From display name)
    min_cell: int = 5  # counts of fewer people than this are never shown
    retention_days: int = 730  # replies and reflections older than this are deleted (anonymous counts kept)
    # Microsoft Teams bot (issue 5). The URLs default to Microsoft's public cloud; tests point them at loopback.
    teams_app_id: str | None = None
    teams_app_password: str | None = None
    teams_tenant_id: str | None = None
    teams_token_url: str | None = None  # default: the tenant's Entra ID token endpoint
    teams_openid_url: str = "https://login.botframework.com/v1/.well-known/openidconfiguration"
    teams_issuer: str = "https://api.botframework.com"
    slack_bot_token: str | None = None  # xoxb-...; Slack is a channel only when this is set
    slack_signing_secret: str | None = None
    slack_app_token: str | None = None  # xapp-...: Socket Mode, for organisations without a public URL
    slack_api_url: str = "https://slack.com/api/"
    slack_per_minute: int = 300  # chat.postMessage budget per workspace
    slack_lookup_per_minute: int = 50  # users.lookupByEmail and conversations.open (Tier 3)
    slack_recorder: str = "process"  # where taps are recorded: "process" (a child; acks stay fast) or "thread"

    @property
    def is_dev(self) -> bool:
        return self.env.lower() in DEV_MODES

    def signing_key(self) -> bytes:
        if self.secret_key == DEFAULT_SECRET and not self.is_dev:
            raise InsecureSettings(
                "LESSONLOOP_SECRET_KEY is left at its default; set it to a long random value "
                "(or run with --demo, or LESSONLOOP_ENV=dev, for a trial)"
            )
        return self.secret_key.encode("utf-8")

    def local_contacts(self) -> dict[str, str]:
        """The organisation's own text for each lesson placeholder it has set (file first, fields win)."""
        import yaml

        contacts: dict[str, str] = {}
        if self.local_contacts_file:
            raw = yaml.safe_load(self.local_contacts_file.read_text(encoding="utf-8")) or {}
            if not isinstance(raw, dict):
                raise ValueError(f"{self.local_contacts_file}: expected 'key: text' lines, such as front_door: ...")
            contacts.update({str(k): str(v) for k, v in raw.items() if v})
        for key in ("front_door", "out_of_hours", "lado", "escalation", "safeguarding_lead"):
            value = getattr(self, f"local_{key}")
            if value:
                contacts[key] = value
        return contacts

    @property
    def teams_configured(self) -> bool:
        return bool(self.teams_app_id and self.teams_app_password and self.teams_tenant_id)

    def teams_token_endpoint(self) -> str:
        return self.teams_token_url or f"https://login.microsoftonline.com/{self.teams_tenant_id}/oauth2/v2.0/token"

    @property
    def slack_enabled(self) -> bool:
        return bool(self.slack_bot_token)

    def slack_secret(self) -> str:
        if not self.slack_signing_secret:
            raise InsecureSettings("LESSONLOOP_SLACK_SIGNING_SECRET must be set when LESSONLOOP_SLACK_BOT_TOKEN is")
        return self.slack_signing_secret

    def sqlalchemy_url(self) -> str:
        url = self.database_url
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix):]
        return url

    def smtp_target(self) -> SmtpTarget | None:
        if not self.smtp_url:
            return None
        parsed = urlparse(self.smtp_url)
        if parsed.scheme not in ("smtp", "smtps"):
            raise ValueError(f"LESSONLOOP_SMTP_URL must start with smtp:// or smtps://, not '{parsed.scheme}://'")
        query = {k: v[-1].lower() for k, v in parse_qs(parsed.query).items()}
        implicit = parsed.scheme == "smtps"
        start_tls = None if "starttls" not in query else query["starttls"] in ("1", "true", "yes")
        return SmtpTarget(
            host=parsed.hostname or "localhost",
            port=parsed.port or (465 if implicit else 25),
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            use_tls=implicit,
            start_tls=start_tls,
        )
