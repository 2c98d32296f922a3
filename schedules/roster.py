"""Read and check a roster CSV. Pure: text in, rows or problems out; nothing is written here.

Streamed: a roster of a million people is read row by row (roster_rows), never held whole; a repeated email
is found where the rows are staged (schedules.roster_import), not by holding every address here. Problems
never repeat what a person wrote (a roster is personal data; error output ends up in terminals, logs and
tickets): they name the file, line and column and say what is wrong."""

import bisect
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email

from lesson_bank.problems import Problem
from schedules.slots import parse_weekday

REQUIRED_COLUMNS = ("email", "name", "role", "team", "agency")
OPTIONAL_COLUMNS = ("timezone", "nudge_day", "nudge_time", "channel", "access", "reminders", "supervisor_email")
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
    # Who they may share their learning record with in one click (issue 17). None: no such column, leave
    # as it is; "": the column is there and empty, so nobody.
    supervisor_email: str | None = None
    line: int = 0  # where it is in the file, for problems found later (a repeated email)


class _Row:
    def __init__(self, path: str, line: int, raw: dict, problems: list[Problem]):
        self.path, self.line, self.raw, self.problems = path, line, raw, problems

    def get(self, column: str) -> str:
        return (self.raw.get(column) or "").strip()

    def fail(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line, f"column '{column}': {message}"))


def _reason(exc: Exception, email: str) -> str:
    """email_validator's reason, with any part of the address itself taken out."""
    reason = str(exc)
    for part in {email, *email.partition("@")[::2]} - {""}:
        reason = reason.replace(part, "…")
    return reason


def _address(row: _Row, column: str) -> str:
    """The column's address, normalised; a problem (naming the column, never the address) when it is not one."""
    email = row.get(column)
    try:
        return validate_email(email, check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        row.fail(column, f"not a valid email address ({_reason(exc, email)})")
        return email


def _supervisor(row: _Row, email: str) -> str | None:
    if row.raw.get("supervisor_email") is None:  # no such column (csv gives None for a short line too)
        return None
    if not row.get("supervisor_email"):
        return ""
    supervisor = _address(row, "supervisor_email")
    if supervisor == email:
        row.fail("supervisor_email", "is the person's own address; name their supervisor, or leave it empty")
    return supervisor


def _parse_row(row: _Row, roles: set[str]) -> RosterRow | None:
    before = len(row.problems)
    email = _address(row, "email")
    supervisor = _supervisor(row, email)
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
    return RosterRow(
        email,
        row.get("name"),
        role,
        row.get("team"),
        row.get("agency"),
        zone,
        day,
        at,
        channel,
        access,
        SWITCH_VALUES.get(switch),
        supervisor,
        row.line,
    )


MAX_PROBLEMS = 200  # listed in full; beyond this only counted, so a wholly wrong file does not fill memory


class Problems(list):
    """The problems found so far, in line order (the first MAX_PROBLEMS by line), and how many in all.

    By line, not as found: repeated emails are found after every row has been read, and are listed among
    the others as if found in one pass."""

    total = 0

    def append(self, problem: Problem) -> None:
        self.total += 1
        if len(self) < MAX_PROBLEMS or problem.line < self[-1].line:
            bisect.insort(self, problem, key=lambda p: p.line)  # after any of the same line: order found
            del self[MAX_PROBLEMS:]

    def add_counted(self, listed: Iterable[Problem], total: int) -> None:
        """`total` problems of which only `listed` (the first, at most MAX_PROBLEMS) are spelled out."""
        before = self.total
        for problem in listed:
            self.append(problem)
        self.total = before + total


NUL_PROBLEM = "the file contains NUL bytes (is it a spreadsheet or UTF-16 file? save it as CSV UTF-8)"


def _without_nul(lines: Iterable[str], path: str, problems: Problems) -> Iterator[str]:
    """A binary or UTF-16 file saved by mistake: name the line and stop, never echo the content."""
    for number, line in enumerate(lines, 1):
        if "\x00" in line:
            problems.append(Problem(path, number, NUL_PROBLEM))
            return
        yield line


def roster_rows(lines: Iterable[str], path: str, roles: set[str], problems: Problems) -> Iterator[RosterRow]:
    """Each good row, in file order; each problem appended to `problems`. Any problem means the caller must
    change nothing: import stages the rows as they come and writes nothing of them if any problem appears.
    Each row is checked on its own: an email repeated on a later line is found where the rows are staged."""
    try:
        yield from _roster_rows(_without_nul(lines, path, problems), path, roles, problems)
    except csv.Error as exc:
        problems.append(Problem(path, 0, f"not a readable CSV file ({exc})"))


def _roster_rows(lines: Iterable[str], path: str, roles: set[str], problems: Problems) -> Iterator[RosterRow]:
    reader = csv.DictReader(lines)
    header = [h.strip().lstrip("\ufeff") for h in reader.fieldnames or []]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing:
        problems.append(Problem(path, 1, f"missing column(s): {', '.join(missing)}"))
    if unknown:
        problems.append(Problem(path, 1, f"unknown column(s): {', '.join(unknown)}"))
    if missing or unknown:
        return
    count = 0
    for raw in reader:
        parsed = _parse_row(_Row(path, reader.line_num, raw, problems), roles)
        if parsed is None:
            continue
        count += 1
        yield parsed
    if not count and not problems.total:
        problems.append(Problem(path, 1, "the roster has no rows"))


def parse_roster(text: str, path: str, roles: set[str]) -> tuple[list[RosterRow], list[Problem]]:
    """Every row checked on its own (repeats are found when staged), for a roster small enough to hold; any
    problem means the caller must change nothing."""
    problems = Problems()
    rows = list(roster_rows(io.StringIO(text), path, roles, problems))
    return rows, list(problems)
