"""The stepped-wedge analysis on simulated roll-outs where the true effect is known: it finds a planted
effect, finds none where none was planted, its intervals cover the truth about as often as they claim,
and it says plainly when there is too little data."""

import random
from datetime import date

import pytest

from schedules.evaluation import TeamPeriod, analyse, assign_waves


def simulate(
    rng: random.Random, *, effect: float, teams: int = 24, waves: int = 4, periods: int = 5, people: int = 10, trend: float = 0.03
) -> list[TeamPeriod]:
    """Teams with their own baseline (between-team spread), a calendar trend that affects everyone, and
    `effect` added once a team's wave has started; `people` answer per team and period."""
    plan = assign_waves(
        [(t, f"A{t % 3}") for t in range(teams)], waves=waves, start=date(2027, 1, 4), every_weeks=4, seed=rng.randrange(10**6)
    )
    rows = []
    for a in plan:
        base = rng.gauss(0.45, 0.07)
        for period in range(periods):
            started = period >= a.wave  # period 0: nobody; the last: everyone
            p = min(max(base + trend * period + (effect if started else 0.0), 0.01), 0.99)
            yes = sum(rng.random() < p for _ in range(people))
            rows.append(TeamPeriod(a.team_id, f"P{period}", started, people, yes))
    return rows


def test_waves_are_balanced_stratified_by_agency_and_reproducible():
    teams = [(t, ["Council", "NHS", "Police"][t % 3]) for t in range(12)]
    plan = assign_waves(teams, waves=3, start=date(2027, 1, 4), every_weeks=4, seed=7)
    assert plan == assign_waves(teams, waves=3, start=date(2027, 1, 4), every_weeks=4, seed=7)
    assert plan != assign_waves(teams, waves=3, start=date(2027, 1, 4), every_weeks=4, seed=8)
    sizes = [sum(a.wave == w for a in plan) for w in (1, 2, 3)]
    assert sizes == [4, 4, 4]
    for agency in ("Council", "NHS", "Police"):  # four teams per agency over three waves: no wave empty of it
        assert {a.wave for a in plan if a.agency == agency} == {1, 2, 3}
    assert {a.starts_on for a in plan} == {date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1)}
    with pytest.raises(ValueError, match="--waves must be at least 2"):
        assign_waves(teams, waves=1, start=date(2027, 1, 4), every_weeks=4, seed=1)


def test_a_planted_effect_is_found_and_none_is_found_where_none_was_planted():
    found = analyse(simulate(random.Random(1), effect=0.20))
    assert found.low > 0 and found.low < 0.20 < found.high and "did better" in found.verdict
    none = analyse(simulate(random.Random(2), effect=0.0))
    assert none.low < 0 < none.high and "No clear difference" in none.verdict


def test_intervals_cover_the_true_effect_about_as_often_as_claimed():
    rng = random.Random(3)
    runs = 150
    covered = sum(1 for _ in range(runs) if (e := analyse(simulate(rng, effect=0.10))).low <= 0.10 <= e.high)
    assert covered / runs >= 0.88, covered  # nominal 95%; allow for simulation noise


def test_too_little_data_says_so_and_small_teams_are_left_out():
    tiny = simulate(random.Random(4), effect=0.2, teams=3, waves=3)
    estimate = analyse(tiny)
    assert estimate.effect is None and estimate.verdict.startswith("Too little data")
    few_people = simulate(random.Random(5), effect=0.2, people=4)  # every team-period under min_cell: all left out
    assert analyse(few_people, min_cell=5).effect is None
