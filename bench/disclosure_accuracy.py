"""What disclosure control costs in accuracy: teams of 5, 10 and 30 people, simulated with the real rule
(digests/disclosure.py: cell-key random rounding to 5, never above the nudges sent, groups of fewer than
LESSONLOOP_MIN_CELL people hidden). Prints, per view a team lead sees, the share of cells hidden, the mean
absolute error of the counts shown, and of the rates shown (in percentage points).

    uv run python bench/disclosure_accuracy.py [--teams 2000] [--min-cell 5]
"""

import argparse
import random
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from digests.disclosure import publish_counts

ROLE_SHARES = (0.5, 0.3, 0.2)  # a team's roles: half one profession, the rest two others


def simulate_group(rng: random.Random, people: int, weeks: int) -> tuple[dict[str, int], dict[str, int]]:
    """True counts and key sums for a group: one nudge a person a week, 80% replied, 75% checks right,
    40% "changed practice"."""
    counts = dict.fromkeys(("delivered", "replied", "correct", "changed"), 0)
    keys = dict.fromkeys(counts, 0)
    for _ in range(people * weeks):
        key = rng.randrange(256)
        counts["delivered"] += 1
        keys["delivered"] += key
        if rng.random() < 0.8:
            counts["replied"] += 1
            keys["replied"] += key
            if rng.random() < 0.75:
                counts["correct"] += 1
                keys["correct"] += key
            if rng.random() < 0.4:
                counts["changed"] += 1
                keys["changed"] += key
    return counts, keys


def measure(rng: random.Random, sizes: list[int], weeks: int, min_cell: int, teams: int) -> dict[str, float]:
    hidden = shown = 0
    count_errors: list[float] = []
    rate_errors: list[float] = []
    for _ in range(teams):
        for people in sizes:
            counts, keys = simulate_group(rng, people, weeks)
            out = publish_counts(counts, keys, people=people, min_cell=min_cell)
            if out["delivered"] is None:
                hidden += 1
                continue
            shown += 1
            count_errors += [abs(out[m] - counts[m]) for m in counts]
            for top in ("correct", "changed"):
                if counts["replied"] and out["replied"]:
                    rate_errors.append(abs(out[top] / out["replied"] - counts[top] / counts["replied"]) * 100)
    return {
        "hidden": hidden / (hidden + shown),
        "count_mae": statistics.fmean(count_errors) if count_errors else float("nan"),
        "rate_mae": statistics.fmean(rate_errors) if rate_errors else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--min-cell", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(14)
    print(f"min_cell {args.min_cell}, {args.teams} simulated teams per size; rates: check accuracy and 'changed practice' share")
    print(f"{'team':>5} {'view':34} {'cells hidden':>13} {'count MAE':>10} {'rate MAE (pts)':>15}")
    for size in (5, 10, 30):
        roles = [max(1, round(size * share)) for share in ROLE_SHARES]
        views = {
            "one week, whole team": ([size], 1),
            "one month (4 weeks), whole team": ([size], 4),
            "one month, by role": (roles, 4),
            "one quarter (13 weeks), by role": (roles, 13),
        }
        for name, (sizes, weeks) in views.items():
            r = measure(rng, sizes, weeks, args.min_cell, args.teams)
            print(f"{size:>5} {name:34} {r['hidden']:>12.0%} {r['count_mae']:>10.2f} {r['rate_mae']:>15.1f}")


if __name__ == "__main__":
    main()
