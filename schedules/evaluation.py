"""A staged (stepped-wedge) roll-out and its analysis (issue 13, part 5). Pure: no clock, database or network.

Design: teams start in waves, in an order drawn at random within each agency (stratified), so every wave
holds a similar mix of agencies. At each period some teams have started and some have not; the analysis
compares them with period and team effects taken out (see `analyse`), so anything that changes over calendar
time, and any team that is simply better or worse, affects both groups alike. The unit is the team (the
cluster), never the person: each team contributes one proportion per period, and a team-period counting
fewer than `min_cell` people is left out, as every figure is. Too few comparable periods or teams gives
no estimate, and says so."""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from math import sqrt


@dataclass(frozen=True)
class WaveAssignment:
    team_id: int
    agency: str
    wave: int  # 1-based
    starts_on: date


def assign_waves(teams: list[tuple[int, str]], *, waves: int, start: date, every_weeks: int, seed: int) -> list[WaveAssignment]:
    """Shuffle each agency's teams with the seed, then deal them across the waves, continuing the deal from
    one agency to the next, so wave sizes differ by at most one and each agency is spread over the waves."""
    if waves < 2:
        raise ValueError("--waves must be at least 2 (a roll-out in one wave has nothing to compare)")
    if every_weeks < 1:
        raise ValueError("--every must be at least 1 week")
    rng = random.Random(seed)
    by_agency: dict[str, list[int]] = {}
    for team_id, agency in sorted(teams):
        by_agency.setdefault(agency, []).append(team_id)
    out, turn = [], rng.randrange(waves)
    for agency in sorted(by_agency):
        ids = by_agency[agency]
        rng.shuffle(ids)
        for team_id in ids:
            wave = turn % waves + 1
            out.append(WaveAssignment(team_id, agency, wave, start + timedelta(weeks=every_weeks * (wave - 1))))
            turn += 1
    return sorted(out, key=lambda a: (a.wave, a.team_id))


@dataclass(frozen=True)
class TeamPeriod:
    """One team's measure in one period: `yes` of `n` people (e.g. right first time on a theme's check)."""

    team_id: int
    period: str
    started: bool
    n: int
    yes: int


@dataclass(frozen=True)
class Estimate:
    effect: float | None  # started minus not started, in proportion points
    low: float | None
    high: float | None
    periods_used: int
    teams_started: int
    teams_waiting: int
    verdict: str


MIN_TEAMS_PER_ARM = 2  # teams ever seen started, and ever seen waiting, in a period that compares them


def analyse(rows: list[TeamPeriod], *, min_cell: int = 5, level: float = 0.95) -> Estimate:
    """Each team-period's proportion = team + period + effect x started (two-way fixed effects, the
    Hussey-Hughes model with fixed team effects), by least squares; the effect's standard error is
    cluster-robust by team (CR1), with a t interval on (teams - 1) degrees of freedom."""
    usable = [r for r in rows if r.n >= min_cell]
    periods = sorted({r.period for r in usable})
    # periods with both arms compare them; the others still help estimate team levels and the trend
    mixed = {
        p
        for p in periods
        if MIN_TEAMS_PER_ARM
        <= sum(r.started for r in usable if r.period == p)
        <= sum(1 for r in usable if r.period == p) - MIN_TEAMS_PER_ARM
    }
    rows_used = usable  # every period: the all-waiting and all-started ones pin down team levels and trend
    teams = sorted({r.team_id for r in rows_used})
    started = {r.team_id for r in rows_used if r.started and r.period in mixed}
    waiting = {r.team_id for r in rows_used if not r.started and r.period in mixed}
    if len(mixed) < 2 or len(teams) < 4 or len(started) < MIN_TEAMS_PER_ARM or len(waiting) < MIN_TEAMS_PER_ARM:
        return Estimate(
            None,
            None,
            None,
            len(mixed),
            len(started),
            len(waiting),
            "Too little data to conclude anything: fewer than two periods in which at least two teams had "
            "started and two had not, each with enough people.",
        )
    # numpy and scipy are imported here, not at the top: the dispatcher and every tick import this module
    # (through schedules.rollout) and must not pay two seconds of start-up for an analysis they never run.
    import numpy as np
    from scipy import stats

    mixed_periods = periods
    x = np.zeros((len(rows_used), 1 + len(mixed_periods) - 1 + len(teams)))
    y = np.array([r.yes / r.n for r in rows_used])
    for i, r in enumerate(rows_used):
        x[i, 0] = 1.0 if r.started else 0.0
        if (k := mixed_periods.index(r.period)) > 0:
            x[i, k] = 1.0
        x[i, len(mixed_periods) + teams.index(r.team_id)] = 1.0
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    residual = y - x @ beta
    bread = np.linalg.pinv(x.T @ x)
    meat = np.zeros((x.shape[1], x.shape[1]))
    for team in teams:
        index = [i for i, r in enumerate(rows_used) if r.team_id == team]
        score = x[index].T @ residual[index]
        meat += np.outer(score, score)
    n, k, g = len(rows_used), np.linalg.matrix_rank(x), len(teams)
    variance = bread @ meat @ bread * (g / (g - 1)) * ((n - 1) / max(n - k, 1))
    effect, se = float(beta[0]), float(sqrt(max(variance[0, 0], 0.0)))
    half = float(stats.t.ppf(0.5 + level / 2, g - 1)) * se
    low, high = effect - half, effect + half
    if low > 0:
        verdict = f"Teams that had started did better, by {effect * 100:.1f} points ({level:.0%} interval {low * 100:.1f} to {high * 100:.1f})."
    elif high < 0:
        verdict = f"Teams that had started did worse, by {-effect * 100:.1f} points ({level:.0%} interval {low * 100:.1f} to {high * 100:.1f})."
    else:
        verdict = (
            f"No clear difference: {effect * 100:+.1f} points, and the {level:.0%} interval ({low * 100:.1f} to "
            f"{high * 100:.1f}) includes no effect."
        )
    return Estimate(effect, low, high, len(mixed), len(started), len(waiting), verdict)
