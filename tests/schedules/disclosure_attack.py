"""A curious lead's attack on the statistics, for the disclosure tests: build a small organisation in the
real database, download every table any signed-in user may see (every dimension, scope filter and
aligned window, and the evidence export), then solve for small groups and individuals by exact integer
programming over all of it (scipy's MILP): the tightest bounds any combination of subtractions gives."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp
from sqlalchemy import delete
from sqlmodel import Session

from bot.core.stats import evidence_table, fresh, stats_table, theme_map
from digests.disclosure import pooled_keys, possible_counts
from schedules.models import Delivery, Person, Reply, StatCell, StatState, Team
from schedules.rollup import mark_stale
from schedules.slots import week_key
from schedules.statistics import Filter
from schedules.windows import align, quarter_of

PAIRS = (("checked", "correct"), ("answered", "not_yet"))  # (whole, sensitive part)
MEASURES = tuple(m for pair in PAIRS for m in pair)
DIMS = ("role", "team", "agency", "week", "theme")


@dataclass(frozen=True)
class Answer:
    replied: bool
    correct: bool | None
    practice: str | None


@dataclass
class Org:
    """people: (team, agency, role) per person; answers[person][week index] (None: no reply)."""

    first_monday: date
    weeks: int
    people: list[tuple[str, str, str]]
    answers: list[list[Answer | None]]
    lessons: list[str]  # lesson per week index (one theme per week would be too easy; alternate per person)
    team_ids: dict[str, int] = field(default_factory=dict)


def wipe(engine) -> None:
    with Session(engine) as session:
        for table in (Reply, Delivery, StatCell, StatState, Person, Team):
            session.execute(delete(table))
        session.commit()


def load(service, org: Org) -> list[tuple]:
    """Write the organisation; return each delivery's finest cell (team, agency, role, week, theme) and truth."""
    themes = theme_map(service)
    wipe(service.engine)
    rows = []
    with Session(service.engine) as session:
        for name, agency in sorted({(t, a) for t, a, _ in org.people}):
            team = Team(name=name, agency=agency)
            session.add(team)
            session.flush()
            org.team_ids[name] = team.id
        for i, (team, agency, role) in enumerate(org.people):
            person = Person(
                email=f"p{i}@example.org",
                name=f"P{i}",
                role=role,
                team_id=org.team_ids[team],
                agency=agency,
                created_at=datetime(2026, 1, 1, tzinfo=timezone.utc),
            )
            session.add(person)
            session.flush()
            for w in range(org.weeks):
                day = org.first_monday + timedelta(weeks=w)
                at = datetime.combine(day, time(10), tzinfo=timezone.utc)
                lesson = org.lessons[(i + w) % len(org.lessons)]
                delivery = Delivery(
                    person_id=person.id,
                    period=week_key(day),
                    lesson_id=lesson,
                    lesson_version="1",
                    role=role,
                    team_id=org.team_ids[team],
                    agency=agency,
                    status="sent",
                    due_at=at,
                    sent_at=at,
                    attempts=1,
                    created_at=at,
                )
                session.add(delivery)
                session.flush()
                answer = org.answers[i][w]
                if answer is not None:
                    session.add(
                        Reply(
                            delivery_id=delivery.id,
                            person_id=person.id,
                            lesson_id=lesson,
                            lesson_version="1",
                            check_answer=0 if answer.correct is not None else None,
                            check_correct=answer.correct,
                            practice=answer.practice,
                            created_at=at,
                            updated_at=at,
                        )
                    )
                truth = {
                    "checked": int(answer is not None and answer.correct is not None),
                    "correct": int(answer is not None and answer.correct is True),
                    "answered": int(answer is not None and answer.practice is not None),
                    "not_yet": int(answer is not None and answer.practice == "not_yet"),
                }
                rows.append(((team, agency, role, week_key(day), themes[lesson]), i, truth))
        session.commit()
        mark_stale(session)
    return rows


@dataclass
class Published:
    cells: frozenset  # finest cells (team, agency, role, week, theme) the figure counts
    measure: str
    shown: int


def _windows(org: Org) -> list[tuple[date | None, date | None]]:
    days = [org.first_monday + timedelta(weeks=w) for w in range(org.weeks)]
    spans = sorted({align(d, d) for d in days})
    runs = [(spans[i][0], spans[j][1]) for i in range(len(spans)) for j in range(i, len(spans))]
    return [(None, None), *(run for run in runs if run != (spans[0][0], spans[-1][1]))]  # all of it = no window


def _scopes(org: Org) -> list[Filter]:
    agencies = sorted({a for _, a, _ in org.people})
    teams = sorted({(t, a) for t, a, _ in org.people})
    return [
        Filter(),
        *(Filter(agency=a) for a in agencies),
        *(Filter(team_id=org.team_ids[t]) for t, _ in teams),
        *(Filter(team_id=org.team_ids[t], agency=a) for t, a in teams),
    ]


def coverage(org: Org, rows: list[tuple], min_cell: int) -> dict[tuple, dict[str, str | None]]:
    """Per finest cell, where the method counts it: its role and theme after pooling (None: left out), by
    the project's own pure rule, from the true numbers of people (an attacker who knows more than a lead)."""
    base: dict[tuple, set[int]] = {}
    by: dict[str, dict[tuple, set[int]]] = {"role": {}, "theme": {}}
    for cell, person, _ in rows:
        unit = (org.team_ids[cell[0]], cell[1], cell[3])
        base.setdefault(unit, set()).add(person)
        by["role"].setdefault((unit, cell[2]), set()).add(person)
        by["theme"].setdefault((unit, cell[4]), set()).add(person)
    base_people = {u: len(p) for u, p in base.items()}
    pooled = {d: pooled_keys(base_people, {k: len(p) for k, p in v.items()}, min_cell=min_cell) for d, v in by.items()}
    out = {}
    for cell, _, _ in rows:
        unit = (org.team_ids[cell[0]], cell[1], cell[3])
        out[cell] = {"role": pooled["role"][(unit, cell[2])], "theme": pooled["theme"][(unit, cell[4])]}
    return out


def download_everything(service, org: Org, rows: list[tuple]) -> tuple[list[Published], list[frozenset]]:
    """Every figure any lead or admin can see; also the cells of every row shown as suppressed."""
    names = {v: k for k, v in org.team_ids.items()}
    where = coverage(org, rows, service.settings.min_cell)
    finest = set(where)
    published, hidden = [], []
    with Session(service.engine) as session:
        fresh(service, session)
        for scope in _scopes(org):
            for start, end in _windows(org):
                weeks = (
                    None if start is None else {week_key(start + timedelta(weeks=n)) for n in range((end - start).days // 7 + 1)}
                )
                inside = {
                    c
                    for c in finest
                    if (scope.team_id is None or c[0] == names[scope.team_id])
                    and (scope.agency is None or c[1] == scope.agency)
                    and (weeks is None or c[3] in weeks)
                    and where[c]["role"] is not None
                }
                for by in DIMS:
                    table = stats_table(
                        service, session, by=by, where=Filter(start, end, scope.team_id, scope.agency), refresh_first=False
                    )
                    for row in (*table.rows, table.total):
                        if row is table.total:
                            cells = frozenset(inside)
                        elif by in ("role", "theme"):
                            cells = frozenset(c for c in inside if where[c][by] == row.key)
                        else:
                            column = {"team": 0, "agency": 1, "week": 3}[by]
                            cells = frozenset(c for c in inside if c[column] == row.key)
                        _add(published, hidden, cells, row.counts)
        for theme in sorted({c[4] for c in finest}):
            table = evidence_table(service, session, lesson=None, theme=theme)
            for row in table.rows:
                quarter, agency = row.key.split("|", 1)
                cells = frozenset(
                    c for c in finest if where[c]["theme"] == theme and c[1] == agency and quarter_of(c[3]) == quarter
                )
                _add(published, hidden, cells, row.counts)
            _add(published, hidden, frozenset(c for c in finest if where[c]["theme"] == theme), table.total.counts)
    return published, hidden


def _add(published: list[Published], hidden: list[frozenset], cells: frozenset, counts: dict) -> None:
    if counts["delivered"] is None:
        hidden.append(cells)
        return
    published.extend(Published(cells, m, counts[m]) for m in MEASURES)


class Attacker:
    """Integer unknowns: each sensitive count in each finest cell. Known: the roster (people per team and
    role, one nudge each a week), the method (a shown figure s means a true count in s-4..s+4), and
    every published figure."""

    def __init__(self, finest: list[tuple], group_size: dict[tuple[str, str], int], published: list[Published]):
        self.finest, self.index = finest, {(c, m): i for i, (c, m) in enumerate((c, m) for c in finest for m in MEASURES)}
        n = len(self.index)
        rows, low, high = [], [], []

        def constraint(coefficients: dict[int, float], lo: float, hi: float) -> None:
            row = np.zeros(n)
            for i, v in coefficients.items():
                row[i] += v
            rows.append(row)
            low.append(lo)
            high.append(hi)

        for c in finest:
            for whole, part in PAIRS:
                constraint({self.index[(c, part)]: 1, self.index[(c, whole)]: -1}, -np.inf, 0)
        by_slot: dict[tuple, list] = {}
        for c in finest:
            by_slot.setdefault((c[0], c[2], c[3]), []).append(c)
        for (team, role, _), cells in by_slot.items():
            for whole, _part in PAIRS:
                constraint({self.index[(c, whole)]: 1 for c in cells}, 0, group_size[(team, role)])
        for figure in published:
            possible = possible_counts(figure.shown)
            constraint({self.index[(c, figure.measure)]: 1 for c in figure.cells}, possible.start, possible.stop - 1)
        self.constraints = LinearConstraint(sparse.csr_array(np.array(rows)), np.array(low), np.array(high))
        upper = np.array([group_size[(c[0], c[2])] for c in finest for _ in MEASURES], dtype=float)
        self.bounds = Bounds(np.zeros(n), upper)

    def _extreme(self, objective, sign: int) -> int:
        result = milp(sign * objective, constraints=self.constraints, bounds=self.bounds, integrality=np.ones(len(self.index)))
        assert result.status == 0, result.message  # the truth is always a solution, so never infeasible
        return round(sign * result.fun)

    def range_of(self, cells, measure: str) -> tuple[int, int]:
        """The smallest and largest true count consistent with everything published."""
        objective = np.zeros(len(self.index))
        for c in cells:
            objective[self.index[(c, measure)]] = 1
        return self._extreme(objective, 1), self._extreme(objective, -1)

    def pinned(self, cells, measure: str, truth: int) -> bool:
        """Whether everything published leaves only the true value (one solve when it does not)."""
        objective = np.zeros(len(self.index))
        for c in cells:
            objective[self.index[(c, measure)]] = 1
        low = self._extreme(objective, 1)
        assert low <= truth
        return low == truth and self._extreme(objective, -1) == truth
