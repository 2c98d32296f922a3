"""What disclosure control costs in accuracy: teams of 5, 10 and 30 people, simulated with the real rules
(digests/disclosure.py), before and after issue 14's second step.

- before: each table row rounded by its cell key (base 5, never above the nudges sent); a row hidden when
  fewer than LESSONLOOP_MIN_CELL people lie behind it (within a window, the largest single week's people).
- after: the same rounding, but every figure is a sum of safe pieces: a team-week with fewer than
  min_cell people is left out, and a role or theme with fewer than min_cell people in a team-week is
  counted under "other" (`pooled_keys`).

Per view a lead sees, it prints the share of groups shown under their own row, the share of nudges counted
in their own row, and the mean absolute error of the counts and rates shown (rates in percentage points,
against the whole group's true rate: a row that leaves out some team-weeks counts as error too).

    uv run python bench/disclosure_accuracy.py [--teams 300] [--min-cell 5] [--themes 30]
"""

import argparse
import random
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digests.disclosure import OTHER, pooled_keys, publish_counts

ROLE_SHARES = (0.5, 0.3, 0.2)  # a team's roles: half one profession, the rest two others
MEASURES = ("delivered", "replied", "correct", "changed")


@dataclass
class Nudge:
    team: int
    week: int
    role: str
    theme: str
    person: int
    counts: dict[str, int] = field(default_factory=dict)
    key: int = 0


def simulate(rng: random.Random, teams: int, size: int, weeks: int, themes: int) -> list[Nudge]:
    """One nudge a person a week on a random theme; 80% replied, 75% of checks right, 40% "changed"."""
    roles = [role for role, share in zip("ABC", ROLE_SHARES) for _ in range(max(1, round(size * share)))][:size]
    roles += ["A"] * (size - len(roles))
    out = []
    for team in range(teams):
        for week in range(weeks):
            for person, role in enumerate(roles):
                replied = rng.random() < 0.8
                counts = {
                    "delivered": 1,
                    "replied": int(replied),
                    "correct": int(replied and rng.random() < 0.75),
                    "changed": int(replied and rng.random() < 0.4),
                }
                out.append(Nudge(team, week, role, f"t{rng.randrange(themes)}", person, counts, rng.randrange(256)))
    return out


def _sum(nudges: list[Nudge]) -> tuple[dict[str, int], dict[str, int]]:
    counts = {m: sum(n.counts[m] for n in nudges) for m in MEASURES}
    keys = {m: sum(n.key for n in nudges if n.counts[m]) for m in MEASURES}
    return counts, keys


def _rate(counts, top):
    return counts[top] / counts["replied"] if counts["replied"] else None


def measure(nudges: list[Nudge], dim: str | None, scope: str, min_cell: int, after: bool) -> dict[str, float]:
    """dim None: the whole scope (team or agency) as one row; otherwise rows by role or theme."""

    def scope_of(n: Nudge):
        return n.team if scope == "team" else 0

    label = (lambda n: "all") if dim is None else (lambda n: getattr(n, dim))
    where: dict[tuple, str | None] = {}
    if after:  # the pieces rule: per team-week, small values pooled, small team-weeks left out
        base: dict[tuple, set[int]] = {}
        split: dict[tuple, set[int]] = {}
        for n in nudges:
            base.setdefault((n.team, "", str(n.week)), set()).add(n.person)
            split.setdefault(((n.team, "", str(n.week)), label(n)), set()).add(n.person)
        where = pooled_keys({u: len(p) for u, p in base.items()}, {k: len(p) for k, p in split.items()}, min_cell=min_cell)
    groups: dict[tuple, list[Nudge]] = {}
    rows: dict[tuple, list[Nudge]] = {}
    for n in nudges:
        group = (scope_of(n), label(n))
        groups.setdefault(group, []).append(n)
        if after:
            key = where[((n.team, "", str(n.week)), label(n))]
            if key is not None:
                rows.setdefault((scope_of(n), key), []).append(n)
    shown = own = 0
    count_errors: list[float] = []
    rate_errors: list[float] = []
    for group, members in groups.items():
        truth, _ = _sum(members)
        if after:
            inside = rows.get(group, []) if group[1] != OTHER else []
            people = len({(n.team, n.person) for n in inside}) if inside else 0
        else:
            inside = members
            weekly: dict[int, set] = {}
            for n in members:
                weekly.setdefault(n.week, set()).add((n.team, n.person))
            people = max(len(p) for p in weekly.values())  # the old lower bound within a window
        if not inside:
            continue
        counts, keys = _sum(inside)
        out = publish_counts(counts, keys, people=people, min_cell=min_cell)
        if out["delivered"] is None:
            continue
        shown += 1
        own += len(inside)
        count_errors += [abs(out[m] - truth[m]) for m in MEASURES]
        for top in ("correct", "changed"):
            true_rate, shown_rate = _rate(truth, top), (out[top] / out["replied"] if out["replied"] else None)
            if true_rate is not None and shown_rate is not None:
                rate_errors.append(abs(shown_rate - true_rate) * 100)
    return {
        "shown": shown / len(groups),
        "own": own / len(nudges),
        "count_mae": statistics.fmean(count_errors) if count_errors else float("nan"),
        "rate_mae": statistics.fmean(rate_errors) if rate_errors else float("nan"),
    }


def _mean(values: list[float]) -> float:
    finite = [v for v in values if v == v]  # runs that showed nothing have no error to average
    return statistics.fmean(finite) if finite else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--teams", type=int, default=300)
    parser.add_argument("--min-cell", type=int, default=5)
    parser.add_argument("--themes", type=int, default=30)
    args = parser.parse_args()
    print(
        f"min_cell {args.min_cell}, {args.teams} simulated teams per size, {args.themes} themes; rates: check accuracy, 'changed'"
    )
    print(f"{'team':>4} {'view':38} {'rows shown':>15} {'nudges in own row':>18} {'count MAE':>12} {'rate MAE (pts)':>15}")
    print(f"{'':>4} {'':38} {'before  after':>15} {'before  after':>18} {'before after':>12} {'before after':>15}")
    views = {
        "one week, whole team": (None, "team", 1),
        "one month (4 weeks), whole team": (None, "team", 4),
        "one month, by role": ("role", "team", 4),
        "one quarter (13 weeks), by role": ("role", "team", 13),
        "one month, by theme": ("theme", "team", 4),
        "one quarter, by theme": ("theme", "team", 13),
        "agency of 10 such teams, month, theme": ("theme", "agency", 4),
    }
    for size in (5, 10, 30):
        for name, (dim, scope, weeks) in views.items():
            rng = random.Random(14 + size + weeks)
            teams = args.teams if scope == "team" else 10
            runs = 1 if scope == "team" else max(1, args.teams // 10)
            results = {False: [], True: []}
            for _ in range(runs):
                nudges = simulate(rng, teams, size, weeks, args.themes)
                for after in (False, True):
                    results[after].append(measure(nudges, dim, scope, args.min_cell, after))
            r = {after: {k: _mean([x[k] for x in results[after]]) for k in results[after][0]} for after in results}
            print(
                f"{size:>4} {name:38} {r[False]['shown']:>6.0%} {r[True]['shown']:>6.0%}   {r[False]['own']:>7.0%} {r[True]['own']:>6.0%}"
                f"   {r[False]['count_mae']:>5.2f} {r[True]['count_mae']:>5.2f}   {r[False]['rate_mae']:>6.1f} {r[True]['rate_mae']:>6.1f}"
            )


if __name__ == "__main__":
    main()
