"""The stepped-wedge analysis on simulated roll-outs: effect planted vs found, interval coverage, and how
often an effect is "found" where none was planted. Prints figures (docs/evaluation.md quotes them).

    uv run python bench/evaluation.py [runs]"""

import random
import sys

from schedules.evaluation import analyse
from tests.schedules.test_evaluation import simulate


def main(runs: int = 300) -> None:
    rng = random.Random(2026)
    for planted in (0.0, 0.05, 0.10, 0.20):
        estimates = [analyse(simulate(rng, effect=planted)) for _ in range(runs)]
        found = [e for e in estimates if e.effect is not None]
        mean = sum(e.effect for e in found) / len(found)
        covered = sum(e.low <= planted <= e.high for e in found) / len(found)
        positive = sum(e.low > 0 for e in found) / len(found)
        print(
            f"planted {planted * 100:4.1f} points: mean found {mean * 100:5.1f}, 95% interval covers truth {covered:.1%}, "
            f"'did better' in {positive:.1%} of {len(found)} runs (24 teams, 4 waves, 5 periods, 10 people per team)"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
