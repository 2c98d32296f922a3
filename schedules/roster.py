"""Read and check a roster CSV. Pure: text in, rows or problems out; nothing is written here."""
import csv
import io
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from lesson_bank.problems import Problem
from schedules.slots import parse_weekday

REQUIRED_COLUMNS = ("email", "name", "role", "team", "agency")
OPTIONAL_COLUMNS = ("timezone", "nudge_day", "nudge_time", "channel", "access", "reminders")
SWITCH_VALUES = {"yes": True, "true": True, "on": True, "1": True, "no": False, "false": False, "off": False, "0": False}
CHANNELS = ("email", "slack", "teams")
ACCESS_LEVELS = ("member", "team_lead", "safeguarding_lead", "admin")
MAX_LENGTH = {"name": 200, "team": 120, "agency": 120}  # the columns' sizes in the database


@dataclass(frozen=True)
class RosterRow:
    email: str
    name: str
    role: str
    team: str
    agency: str
    timezone: str = "Europe/London"
    nudge_day: int = 1
    nudge_time: time = time(10, 0)
    channel: str | None = None  # None: the organisation's default
    access: str = "member"
    reminders: bool | None = None  # None: leave as it is (new people get reminders)


class _Row:
    def __init__(self, path: str, line: int, raw: dict, problems: list[Problem]):
        self.path, self.line, self.raw, self.problems = path, line, raw, problems

    def get(self, column: str) -> str:
        return (self.raw.get(column) or "").strip()

    def fail(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line, f"column '{column}': {message}"))


def _parse_row(row: _Row, roles: set[str]) -> RosterRow | None:
    before = len(row.problems)
    email = row.get("email")
    try:
        email = validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        row.fail("email", f"'{email}' is not a valid email address ({exc})")
    for column in ("name", "team"):
        if not row.get(column):
            row.fail(column, "is empty")
    for column, limit in MAX_LENGTH.items():
        if len(row.get(column)) > limit:  # the value itself is not repeated: it is personal data
            row.fail(column, f"is {len(row.get(column))} characters long; at most {limit}")
    role = row.get("role")
    if role not in roles:
        row.fail("role", f"unknown role '{role}' (known: {', '.join(sorted(roles))})")
    zone = row.get("timezone") or "Europe/London"
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        row.fail("timezone", f"unknown time zone '{zone}' (use a name such as Europe/London)")
    day = 1
    try:
        day = parse_weekday(row.get("nudge_day") or "tuesday")
    except ValueError as exc:
        row.fail("nudge_day", str(exc))
    at = time(10, 0)
    try:
        at = time.fromisoformat(row.get("nudge_time") or "10:00")
    except ValueError:
        row.fail("nudge_time", f"'{row.get('nudge_time')}' is not a time written HH:MM")
    channel = row.get("channel").lower() or None
    if channel and channel not in CHANNELS:
        row.fail("channel", f"'{channel}' must be one of {', '.join(CHANNELS)}")
    access = row.get("access").lower() or "member"
    if access not in ACCESS_LEVELS:
        row.fail("access", f"'{access}' must be one of {', '.join(ACCESS_LEVELS)}")
    switch = row.get("reminders").lower()
    if switch and switch not in SWITCH_VALUES:
        row.fail("reminders", f"'{switch}' must be yes or no")
    if len(row.problems) > before:
        return None
    return RosterRow(email, row.get("name"), role, row.get("team"), row.get("agency"), zone, day, at, channel, access,
                     SWITCH_VALUES.get(switch))


def parse_roster(text: str, path: str, roles: set[str]) -> tuple[list[RosterRow], list[Problem]]:
    """Every row checked; any problem means the caller must change nothing."""
    problems: list[Problem] = []
    if "\x00" in text:  # a binary or UTF-16 file saved by mistake: name the line, never echo the content
        line = text.count("\n", 0, text.index("\x00")) + 1
        return [], [Problem(path, line, "the file contains NUL bytes (is it a spreadsheet or UTF-16 file? save it as CSV UTF-8)")]
    try:
        return _parse_rows(text, path, roles, problems)
    except csv.Error as exc:
        return [], [*problems, Problem(path, 0, f"not a readable CSV file ({exc})")]


def _parse_rows(text: str, path: str, roles: set[str], problems: list[Problem]) -> tuple[list[RosterRow], list[Problem]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing:
        problems.append(Problem(path, 1, f"missing column(s): {', '.join(missing)}"))
    if unknown:
        problems.append(Problem(path, 1, f"unknown column(s): {', '.join(unknown)}"))
    if problems:
        return [], problems
    rows: list[RosterRow] = []
    first_line: dict[str, int] = {}
    for raw in reader:
        line = reader.line_num
        parsed = _parse_row(_Row(path, line, raw, problems), roles)
        if parsed is None:
            continue
        if parsed.email in first_line:
            problems.append(Problem(path, line, f"column 'email': duplicate email '{parsed.email}' (first on line {first_line[parsed.email]})"))
            continue
        first_line[parsed.email] = line
        rows.append(parsed)
    if not rows and not problems:
        problems.append(Problem(path, 1, "the roster has no rows"))
    return rows, problems
