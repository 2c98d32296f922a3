"""Configuration from LESSONLOOP_* environment variables (and an optional .env). Built on demand, never at import."""

from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from pydantic import BaseModel, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from schedules.slots import WorkingHours

DEFAULT_SECRET = "change-me"
DEV_MODES = {"dev", "development", "demo", "test"}
MIN_SECRET_LENGTH = 32
ENV_PREFIX = "LESSONLOOP_"


class InsecureSettings(RuntimeError):
    pass


IMPACT_MAX_MONTHS = 36


def parse_months(value: str) -> tuple[int, ...]:
    """ "3,6,12" -> (3, 6, 12); empty -> () (no impact questions)."""
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise ValueError("must be whole numbers of months separated by commas, such as 3,6,12 (empty: off)")
    months = tuple(int(p) for p in parts)
    if any(not 1 <= m <= IMPACT_MAX_MONTHS for m in months):
        raise ValueError(f"each interval must be from 1 to {IMPACT_MAX_MONTHS} months")
    if list(months) != sorted(set(months)):
        raise ValueError("intervals must be different and in increasing order, such as 3,6,12")
    return months


class SettingsError(ValueError):
    """A setting is out of range or malformed; the message names each LESSONLOOP_ variable."""


def describe(error: ValidationError) -> str:
    lines = []
    for problem in error.errors():
        name = ENV_PREFIX + "_".join(str(part) for part in problem["loc"]).upper()
        value = problem.get("input")
        message = str(problem["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}={value!s:.60}: {message}" if not isinstance(value, dict) else f"{name}: {message}")
    return "; ".join(lines)


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
    link_days: int = Field(30, ge=1, le=366)  # how long reply links stay valid
    smtp_connections: int = Field(8, ge=1, le=100)
    dispatch_batch: int = Field(500, ge=1, le=10_000)
    # Transient failures (4xx, timeouts, a relay that is down) are retried this long from when the nudge
    # was first due, backing off to at most an hour apart; a nudge whose week ends first is marked expired.
    retry_hours: int = Field(24, ge=1, le=168)
    # A dispatcher's claim on a message lives this long unless renewed (it renews every third of it), so
    # the messages of a dispatcher that died go out again within about this long.
    lease_seconds: int = Field(60, ge=15, le=3600)
    working_hours: str = "08:00-18:00"
    organisation_contact: str = Field("your designated safeguarding lead", min_length=1, max_length=300)
    organisation_name: str = Field(
        "Your organisation", min_length=1, max_length=200
    )  # named in every email (and its From display name)
    min_cell: int = Field(5, le=1000)  # counts of fewer people than this are never shown
    # replies and reflections older than this are deleted (anonymous counts kept)
    retention_days: int = Field(730, ge=1, le=36_500)
    # Closing the loop (issue 13): the organisation's switches and intervals.
    reminders: bool = True  # one reminder for an unanswered nudge
    reminder_days: int = Field(3, ge=1, le=20)  # working days after the nudge, in the person's working hours and time zone
    followups: bool = True  # "did you try it?" weeks after a commitment
    followup_weeks: int = Field(4, ge=1, le=52)
    # Impact (issue 17): "has it made a difference?" this many months after an answer; empty switches it off.
    impact_months: str = "3,6,12"
    impact_sample: float = Field(0.5, gt=0, le=1)  # the share of (person, lesson, interval) asked
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
    slack_per_minute: int = Field(300, ge=1, le=10_000)  # chat.postMessage budget per workspace
    # Web processes `serve` runs (each with its own share of every rate limit, bot.core.pacing); the scheduler
    # and dispatcher stay one process whatever this says.
    web_workers: int = Field(1, ge=1, le=32)
    slack_lookup_per_minute: int = Field(50, ge=1, le=1000)  # users.lookupByEmail and conversations.open (Tier 3)

    def __init__(self, **values) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            raise SettingsError(describe(exc)) from None

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        try:
            hours = WorkingHours.parse(value)
        except ValueError:
            raise ValueError("must be two times such as 08:00-18:00") from None
        if hours.start >= hours.end:
            raise ValueError("the start must be before the end")
        return value

    @field_validator("impact_months")
    @classmethod
    def _impact_months(cls, value: str) -> str:
        parse_months(value)
        return value

    @property
    def impact_intervals(self) -> tuple[int, ...]:
        return parse_months(self.impact_months)

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if urlparse(value).scheme not in ("http", "https") or not urlparse(value).netloc:
            raise ValueError("must be the public address, such as https://lessonloop.example.org")
        return value

    @field_validator("min_cell")
    @classmethod
    def _min_cell_is_a_group(cls, value: int) -> int:
        from schedules.disclosure_constants import MIN_CELL_FLOOR  # not digests.disclosure: that imports the models

        if value < MIN_CELL_FLOOR:
            raise ValueError(
                f"LESSONLOOP_MIN_CELL is {value}; it must be at least {MIN_CELL_FLOOR}, or a "
                "'group' could be one or two people and their answers could be read off the figures"
            )
        return value

    @property
    def is_dev(self) -> bool:
        return self.env.lower() in DEV_MODES

    def signing_key(self) -> bytes:
        if self.secret_key == DEFAULT_SECRET and not self.is_dev:
            raise InsecureSettings(
                "LESSONLOOP_SECRET_KEY is left at its default; set it to a long random value, e.g. "
                "`python -c 'import secrets; print(secrets.token_urlsafe(32))'` "
                "(for a trial: `lessonloop serve --demo`, which writes a .env the other commands read)"
            )
        if len(self.secret_key) < MIN_SECRET_LENGTH and not self.is_dev:
            raise InsecureSettings(
                f"LESSONLOOP_SECRET_KEY is {len(self.secret_key)} characters; it must be at least "
                f"{MIN_SECRET_LENGTH} (random), or anyone could forge reply and sign-in links"
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

    def message_id_domain(self) -> str:
        """The right-hand side of our Message-IDs: the sender's mail domain, else the site's host name."""
        address = parseaddr(self.from_email)[1]
        return address.rpartition("@")[2] or urlparse(self.base_url).hostname or "localhost"

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
                return "postgresql+psycopg://" + url[len(prefix) :]
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
