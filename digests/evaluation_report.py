"""`lessonloop evaluate report`: each measure's estimate, as text or a dict for JSON (issue 13, part 5). Pure.

Only team-level figures are shown: the effect, its interval and how many teams and periods it rests on. Every
team-period behind them counts at least `min_cell` people (`schedules.evaluation.analyse` leaves the others
out), and no count of people is printed, so nothing here can be about fewer than `min_cell` people."""

from dataclasses import asdict, dataclass

from schedules.evaluation import Estimate, TeamPeriod, analyse

TOO_LITTLE = "Too little data to conclude anything"


@dataclass(frozen=True)
class MeasureResult:
    measure: str  # "knowledge:<theme id>" or "practice"
    label: str
    estimate: Estimate
    team_periods_used: int
    team_periods_left_out: int  # fewer than min_cell people answered


@dataclass(frozen=True)
class Report:
    teams: int
    waves: int
    steps_so_far: int
    results: list[MeasureResult]

    @property
    def conclusive(self) -> bool:
        return any(r.estimate.effect is not None for r in self.results)


def build_report(
    rows: dict[str, list[TeamPeriod]], labels: dict[str, str], *, teams: int, waves: int, steps_so_far: int, min_cell: int
) -> Report:
    results = []
    for measure, found in rows.items():
        used = sum(1 for r in found if r.n >= min_cell)
        results.append(MeasureResult(measure, labels[measure], analyse(found, min_cell=min_cell), used, len(found) - used))
    return Report(teams, waves, steps_so_far, results)


def report_text(report: Report, *, min_cell: int) -> str:
    lines = [
        f"Staged roll-out: {report.teams} teams in {report.waves} waves; {report.steps_so_far} check-in steps so far.",
        "Teams that had started are compared with teams not yet started, at team level, with period and team "
        "effects taken out (docs/evaluation.md).",
        "",
    ]
    for r in report.results:
        e = r.estimate
        lines.append(f"{r.label}")
        lines.append(f"  {e.verdict}")
        if e.effect is not None:
            lines.append(
                f"  based on {e.teams_started} teams seen started and {e.teams_waiting} seen waiting, over {e.periods_used} "
                "steps that compare them"
            )
        lines.append(
            f"  team-periods used: {r.team_periods_used}; left out (fewer than {min_cell} people answered): "
            f"{r.team_periods_left_out}"
        )
        lines.append("")
    if not report.conclusive:
        lines.append(f"{TOO_LITTLE} yet: wait for more waves to start and more check-ins to be answered.")
    return "\n".join(lines).rstrip() + "\n"


def report_dict(report: Report, *, min_cell: int) -> dict:
    return {
        "teams": report.teams,
        "waves": report.waves,
        "steps_so_far": report.steps_so_far,
        "min_cell": min_cell,
        "conclusive": report.conclusive,
        "measures": [
            {
                "measure": r.measure,
                "label": r.label,
                **asdict(r.estimate),
                "team_periods_used": r.team_periods_used,
                "team_periods_left_out": r.team_periods_left_out,
            }
            for r in report.results
        ],
    }
