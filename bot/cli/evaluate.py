"""`lessonloop evaluate plan|report`: a staged (stepped-wedge) roll-out and whether it works (issue 13, part 5)."""

import json
from typing import Annotated, Optional

import typer
from sqlmodel import Session

from bot.cli.options import day, fail

app = typer.Typer(help="Does it work? A staged roll-out: plan the waves, then report.", no_args_is_help=True)
DEFAULT_THEMES = 2  # measured when --themes is not given: the themes with the most lessons to ask from


def _themes(service, text: str | None) -> tuple[str, ...]:
    from lesson_bank.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    lessons = list(service.lessons.values())
    if text:
        chosen = tuple(t.strip() for t in text.split(",") if t.strip())
        for theme in chosen:
            if theme not in taxonomy.themes:
                fail(f"--themes: '{theme}' is not a theme in lesson_bank/taxonomy.yaml")
            if not any(l.primary_theme == theme for l in lessons):
                fail(f"--themes: no lesson has '{theme}' as its first theme, so there is no question to ask")
        return chosen
    counts: dict[str, int] = {}
    for lesson in lessons:
        counts[lesson.primary_theme] = counts.get(lesson.primary_theme, 0) + 1
    return tuple(sorted(counts, key=lambda t: (-counts[t], t))[:DEFAULT_THEMES])


@app.command("plan")
def plan(
    waves: Annotated[int, typer.Option(help="How many waves (at least 2)")],
    start: Annotated[str, typer.Option(help="The day the first wave starts (YYYY-MM-DD)")],
    every: Annotated[int, typer.Option(help="Weeks between one wave's start and the next")],
    seed: Annotated[Optional[int], typer.Option(help="Random seed (the same seed gives the same plan)")] = None,
    themes: Annotated[Optional[str], typer.Option(help="Themes the check-ins measure, comma-separated")] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Throw away the recorded plan and plan again")] = False,
) -> None:
    """Assign every team to a wave, at random within each agency, and record it. Teams wait for their wave;
    every team gets a check-in at each step."""
    import secrets

    from bot.cli.ops import open_service
    from bot.core.clock import utcnow
    from schedules.evaluation import assign_waves
    from schedules.rollout_store import PlanExists, save_plan, teams_by_agency

    first = day("--start", start)
    assert first is not None  # a required option
    if waves < 2:
        fail("--waves must be at least 2 (a roll-out in one wave has nothing to compare)")
    if every < 1:
        fail("--every must be at least 1 week")
    service = open_service()
    measured = _themes(service, themes)
    chosen_seed = seed if seed is not None else secrets.randbelow(2**31)
    with Session(service.engine) as session:
        teams = teams_by_agency(session)
        if len(teams) < waves:
            fail(f"--waves {waves}: there are only {len(teams)} teams; every wave needs at least one")
        assignment = assign_waves(teams, waves=waves, start=first, every_weeks=every, seed=chosen_seed)
        try:
            save_plan(session, assignment, seed=chosen_seed, every_weeks=every, themes=measured, now=utcnow(), replace=replace)
        except PlanExists:
            fail("a roll-out is already planned (see `lessonloop evaluate report`); add --replace to plan it again")
        session.commit()
    typer.echo(f"Planned {len(assignment)} teams in {waves} waves from {first}, every {every} weeks (seed {chosen_seed}).")
    typer.echo(f"Check-ins measure: {', '.join(measured)}.")
    for wave in range(1, waves + 1):
        names = sorted(a.agency or "-" for a in assignment if a.wave == wave)
        starts = next(a.starts_on for a in assignment if a.wave == wave)
        typer.echo(f"  wave {wave} starts {starts}: {len(names)} teams ({', '.join(sorted(set(names)))})")


@app.command("report")
def report(as_json: Annotated[bool, typer.Option("--json", help="JSON output")] = False) -> None:
    """Teams that have started against teams not yet started: the estimate, its interval, or "too little data"."""
    from bot.cli.ops import open_service
    from bot.core.clock import utcnow
    from digests.evaluation_report import build_report, report_dict, report_text
    from lesson_bank.taxonomy import load_taxonomy
    from schedules.rollout import team_periods
    from schedules.rollout_store import checkin_answers, rollout

    service = open_service()
    with Session(service.engine) as session:
        staged = rollout(session)
        if staged is None:
            fail("no roll-out is planned: run `lessonloop evaluate plan --waves N --start DATE --every WEEKS` first")
        answers = checkin_answers(session)
    taxonomy = load_taxonomy()
    labels = {f"knowledge:{t}": f"First-time knowledge check: {taxonomy.theme_label(t)}" for t in staged.themes}
    labels["practice"] = "Self-reported practice change (any measured theme)"
    today = utcnow().date()
    found = build_report(
        team_periods(staged, answers),
        labels,
        teams=len(staged.starts),
        waves=staged.waves,
        steps_so_far=sum(1 for d in staged.step_days() if d <= today),
        min_cell=service.settings.min_cell,
    )
    if as_json:
        typer.echo(json.dumps(report_dict(found, min_cell=service.settings.min_cell), indent=2, default=str))
    else:
        typer.echo(report_text(found, min_cell=service.settings.min_cell), nl=False)
