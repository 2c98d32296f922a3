"""The deliveries outbox: idempotent writes from the planner, safe claims by dispatchers, attempt records."""

import functools
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, text
from sqlmodel import Session, col
from sqlmodel.sql.expression import Select

from schedules import leases
from schedules.leases import Claimant
from schedules.models import Delivery, DeliveryAttempt, DeliveryStatus, SpacingCard
from schedules.disclosure_constants import new_record_keys
from schedules.id_sets import by_index, in_ids
from schedules.json_rows import Stamps, rows_source, stamp, to_json
from schedules.impact_planner import KIND as IMPACT
from schedules.loop_planner import week_of
from schedules.planner import CardState, History, PlannedDelivery

INSERT_BATCH = 5000  # deliveries a statement (a JSON text of about 1 MB)


# Deliveries that hold a person's week: no nudge joins a week with a follow-up or impact question in it.
WEEK_HOLDERS = ("followup", IMPACT)


def histories(session: Session, *, zones: Mapping[int, str]) -> dict[int, History]:
    """These people's (id -> time zone) planned weeks (a nudge's period, or the local week of a follow-up or
    impact question not cancelled), last nudge per lesson, and spacing cards, in two queries.

    Both select by person id alone, through the index that leads with it, and the kinds are told apart here:
    with a kind in the query, PostgreSQL with statistics from before a large planning run (a new roster's
    first week, or a server without autovacuum) chose the index on kind and read every nudge written so far
    for each page, so a million people took minutes more; `by_index` keeps it from scanning the table."""
    person_ids = list(zones)
    with by_index(session):
        periods: dict[int, set[str]] = {}
        delivered: dict[int, dict[str, datetime]] = {}
        rows: Select[int, str, str, str, datetime, str] = Select(
            col(Delivery.person_id),
            col(Delivery.kind),
            col(Delivery.period),
            col(Delivery.lesson_id),
            col(Delivery.due_at),
            col(Delivery.status),
        )
        for person_id, kind, period, lesson_id, due_at, status in session.execute(
            rows.where(in_ids(session, col(Delivery.person_id), person_ids))
        ):
            if kind == "nudge":
                periods.setdefault(person_id, set()).add(period)
                last = delivered.setdefault(person_id, {})
                last[lesson_id] = max(due_at, last.get(lesson_id, due_at))
            elif kind in WEEK_HOLDERS and status != DeliveryStatus.CANCELLED:
                periods.setdefault(person_id, set()).add(week_of(due_at, zones[person_id]))
        cards: dict[int, dict[str, CardState]] = {}
        # columns, not ORM objects (each would carry its card_json); sqlmodel's select() is typed for at most four
        # columns, so this builds the same Select itself
        card_columns: Select[int, str, datetime, datetime, bool] = Select(
            col(SpacingCard.person_id),
            col(SpacingCard.lesson_id),
            col(SpacingCard.due_at),
            col(SpacingCard.last_review_at),
            col(SpacingCard.retired),
        )
        card_rows = session.execute(card_columns.where(in_ids(session, col(SpacingCard.person_id), person_ids)))
        for person_id, lesson_id, card_due, last_review_at, retired in card_rows:
            cards.setdefault(person_id, {})[lesson_id] = CardState(card_due, last_review_at, retired)
    return {
        pid: History(frozenset(periods.get(pid, ())), delivered.get(pid, {}), cards.get(pid, {}))
        for pid in set(periods) | set(cards)
    }


# The columns a planned delivery brings, in the order of its JSON row; status, attempts, created_at and
# first_due_at (= due_at) are the same for a whole batch and written in the statement.
_ROW_COLUMNS = (
    ("person_id", "int"),
    ("kind", "text"),
    ("parent_id", "int"),
    ("months", "int"),
    ("period", "text"),
    ("lesson_id", "text"),
    ("lesson_version", "text"),
    ("is_review", "bool"),
    ("channel", "text"),
    ("role", "text"),
    ("team_id", "int"),
    ("agency", "text"),
    ("due_at", "timestamp"),
    ("message_token", "text"),
    ("record_key", "int"),
)


def _insert_statement(dialect: str):
    """One statement a batch whatever its size, the rows in one JSON parameter. Every column is written
    explicitly: the statement is raw SQL, so no model default runs. A slot already written is skipped; the
    count of rows written comes back as one number (PostgreSQL counts RETURNING rows in the server, SQLite's
    row count is the rows inserted), never a row per delivery."""
    names = [name for name, _ in _ROW_COLUMNS]
    created = "CAST(:created_at AS timestamp)" if dialect == "postgresql" else ":created_at"
    insert = (
        f"INSERT INTO delivery ({', '.join(names)}, status, first_due_at, attempts, created_at) "
        f"SELECT {', '.join(f'r.{name}' for name in names)}, :status, r.due_at, 0, {created} "
        f"FROM ({rows_source(dialect, _ROW_COLUMNS)}) AS r WHERE true "
        "ON CONFLICT (person_id, kind, period) DO NOTHING"
    )
    if dialect == "postgresql":
        insert = f"WITH written AS ({insert} RETURNING 1) SELECT count(*) FROM written"
    return text(insert)


_INSERT = {dialect: _insert_statement(dialect) for dialect in ("postgresql", "sqlite")}


def insert_planned(session: Session, *, planned: list[PlannedDelivery], now: datetime) -> int:
    """Write planned deliveries; a slot already written (by us or another process) is skipped. Returns how
    many were written. The Message-ID token (issue 15) and the disclosure record key (issue 14) are random
    per delivery, drawn a batch at a time."""
    dialect = session.get_bind().dialect.name
    stamps = Stamps()
    inserted = 0
    for start in range(0, len(planned), INSERT_BATCH):
        batch = planned[start : start + INSERT_BATCH]
        tokens, keys = new_message_tokens(len(batch)), new_record_keys(len(batch))
        rows = [
            [
                p.person_id,
                p.kind,
                p.parent_id,
                p.months,
                p.period,
                p.lesson_id,
                p.lesson_version,
                p.is_review,
                p.channel,
                p.role,
                p.team_id,
                p.agency,
                stamps[p.due_at],
                tokens[i],
                keys[i],
            ]
            for i, p in enumerate(batch)
        ]
        params = {"rows": to_json(rows), "status": DeliveryStatus.PENDING.value, "created_at": stamp(now)}
        result = session.connection().execute(_INSERT[dialect], params)
        inserted += result.scalar_one() if dialect == "postgresql" else result.rowcount
    return inserted


ANALYZE_AFTER = 1000  # rows written in one planning pass


def refresh_statistics(engine: Engine, inserted: int) -> None:
    """PostgreSQL plans the dispatcher's claims from its statistics of the outbox, which autovacuum refreshes
    a minute later at best: right after a week's rows are written they still say nothing is due, and each
    claim then reads and sorts every due row instead of taking the next ones from the (status, due_at)
    index, which makes a burst quadratic. So a planning pass that wrote many rows refreshes them."""
    if inserted >= ANALYZE_AFTER and engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE delivery")
            connection.commit()


def new_message_tokens(n: int) -> list[str]:
    """n random Message-ID tokens of 32 hex digits (as uuid4().hex is), from one draw of random bytes."""
    digits = secrets.token_hex(16 * n)
    return [digits[i : i + 32] for i in range(0, 32 * n, 32)]


def claim_due(db: leases.Db, *, now: datetime, limit: int, claimant: Claimant) -> list[int]:
    """Claim up to `limit` due rows (or rows whose holder's lease ran out) for `claimant`."""
    ready = and_(col(Delivery.status) == DeliveryStatus.PENDING, col(Delivery.due_at) <= now)
    # By due time only: the index on (status, due_at) gives that order as it is, while a tie-break on id
    # would sort every row due at the same minute (often everyone's) on each claim. Rows due together come
    # in the index's order (on SQLite, by id).
    return leases.claim(db, Delivery, ready=ready, claimant=claimant, now=now, limit=limit, order_by=(Delivery.due_at,))


@dataclass(frozen=True)
class Outcome:
    delivery_id: int
    channel: str
    outcome: str  # sent | retry | failed | expired | cancelled | fell_back (this channel failed for good; email is next)
    detail: str | None = None
    retry_at: datetime | None = None
    fallback_reason: str | None = None
    external_ref: str | None = None  # the chat message id, so a reply can update the message


_SQLITE_ATTEMPTS = (
    f"INSERT INTO {DeliveryAttempt.__tablename__} (delivery_id, at, channel, outcome, detail) VALUES (?, ?, ?, ?, ?)"
)


_ATTEMPT_ROWS = (("delivery_id", "int"), ("channel", "text"), ("outcome", "text"), ("detail", "text"))


@functools.cache
def _pg_record_sql(sent: tuple[tuple[str, ...], ...], other: tuple[tuple[str, ...], ...], dialect: Any) -> str:
    """PostgreSQL: the attempts inserted, with the finish of each group of rows (by the columns it sets,
    `leases.finish_sql`) as a data-modifying CTE, every group's rows one JSON parameter; the driver's SQL
    text, built once per shape."""
    finishes = [
        f"finish_{prefix}{i} AS ({leases.finish_sql(Delivery, columns, held_only, param=f'{prefix}{i}')})"
        for prefix, groups, held_only in (("s", sent, False), ("o", other, True))
        for i, columns in enumerate(groups)
    ]
    attempts = (
        f"INSERT INTO {DeliveryAttempt.__tablename__} (delivery_id, channel, outcome, detail, at) "
        f"SELECT r.delivery_id, r.channel, r.outcome, r.detail, CAST(:at AS timestamp) "
        f"FROM ({rows_source('postgresql', _ATTEMPT_ROWS, param='attempts')}) AS r"
    )
    return str(text((f"WITH {', '.join(finishes)} " if finishes else "") + attempts).compile(dialect=dialect))


_FINAL = {"failed": DeliveryStatus.FAILED, "expired": DeliveryStatus.EXPIRED, "cancelled": DeliveryStatus.CANCELLED}


def _new_values(o: Outcome, now: datetime) -> dict | None:
    if o.outcome == "sent":
        values: dict = {"status": DeliveryStatus.SENT, "sent_at": now}
        if o.external_ref:
            values["external_ref"] = o.external_ref
    elif o.outcome == "retry":
        values = {"status": DeliveryStatus.PENDING, "due_at": o.retry_at, "last_error": o.detail}
    elif o.outcome in _FINAL:
        values = {"status": _FINAL[o.outcome], "last_error": o.detail}
    else:  # fell_back: only the attempt is written; the row stays claimed for the email send
        return None
    if o.fallback_reason:  # the row now belongs to email, and says why
        values |= {"channel": o.channel, "fallback_reason": o.fallback_reason}
    return values


def record_outcomes(db: leases.Db, *, outcomes: list[Outcome], now: datetime, claimant: Claimant) -> None:
    """Write every attempt and move each row on (sent, back to pending, failed, expired, cancelled), in one
    transaction. A message that went out is marked sent even if this claimant's lease ran out meanwhile,
    so nobody sends it again; any other outcome is written only while the claim is still held.

    On PostgreSQL this is one statement, so it is atomic on an autocommit connection too (the dispatcher's
    recorder runs it so); tests/schedules/test_outbox.py holds it to one."""
    connection = leases.connection_of(db)
    sent: list[tuple[int, dict[str, Any]]] = []
    other: list[tuple[int, dict[str, Any]]] = []
    for o in outcomes:
        values = _new_values(o, now)
        if values is not None:
            (sent if o.outcome == "sent" else other).append((o.delivery_id, values))
    if connection.dialect.name == "postgresql":
        # One statement: the attempts, and each finish as a data-modifying CTE. The dispatcher's senders wait
        # for this commit, so one round trip instead of one a statement is what they wait less.
        sent_groups, other_groups = leases.by_columns(sent), leases.by_columns(other)
        attempts = [[o.delivery_id, o.channel, o.outcome, o.detail] for o in outcomes]
        params: dict[str, Any] = {"at": stamp(now), "attempts": to_json(attempts)}
        for prefix, groups, held_only in (("s", sent_groups, False), ("o", other_groups, True)):
            for i, (columns, batch) in enumerate(groups.items()):
                params[f"{prefix}{i}"] = leases.finish_rows(Delivery, batch, columns)
                if held_only:
                    params[f"{prefix}{i}_holder"] = claimant.id
        sql = _pg_record_sql(tuple(sent_groups), tuple(other_groups), connection.dialect)
        connection.exec_driver_sql(sql, params)
    else:
        # the driver's executemany (C) of a plain SQL text: nothing to process per parameter but the time
        at = stamp(now)
        connection.exec_driver_sql(_SQLITE_ATTEMPTS, [(o.delivery_id, at, o.channel, o.outcome, o.detail) for o in outcomes])
        leases.finish(connection, Delivery, sent, claimant=claimant, held_only=False)
        leases.finish(connection, Delivery, other, claimant=claimant)
    db.commit()
