"""Practice-moment figures are sums of safe team-month pieces (digests/disclosure.py), like every figure:
a team-month of fewer than k writers is left out, a factor or theme fewer than k wrote about in a team's
month counts under "other", every count is rounded to a multiple of 5, excerpts need k writers."""

from datetime import datetime, timezone

from sqlmodel import Session

from bot.core.voice_figures import moments
from digests.disclosure import OTHER
from lesson_bank.taxonomy import load_taxonomy
from schedules.statistics import Filter
from schedules.voice_models import PracticeMoment

AT = datetime(2026, 11, 10, 10, tzinfo=timezone.utc)


def _write(service, moments_by_writer: list[tuple[int, str, str]]) -> None:
    """(team id, writer, factor) per moment, all in one agency and one month."""
    with Session(service.engine) as session:
        for i, (team, writer, factor) in enumerate(moments_by_writer):
            text = f"moment {i} by {writer}: the hard part was the time"
            session.add(
                PracticeMoment(
                    outcome="near_miss",
                    what_happened=text,
                    factors=factor,
                    role="",
                    team_id=team,
                    agency="Agency",
                    period="2026-W46",
                    writer=writer,
                    created_at=AT,
                )
            )
        session.commit()


def test_agency_factor_row_minus_team_betas_recovers_nothing_about_alphas_one_writer(service):
    """The issue's differencing scenario for moments: Alpha has 5 writers on one factor and 1 on another;
    Beta 5 writers on that other factor. Agency row minus Beta's row must not give Alpha's one writer."""
    first, second = sorted(load_taxonomy().factors)[:2]
    alpha = [(1, f"a{i}", first) for i in range(5)] + [(1, "a-odd", second)] * 3
    beta = [(2, f"b{i}", second) for i in range(5)]
    _write(service, alpha + beta)
    with Session(service.engine) as session:
        agency = moments(service, session, by="factor", where=Filter(agency="Agency"))
        beta_only = moments(service, session, by="factor", where=Filter(agency="Agency", team_id=2))
        alpha_only = moments(service, session, by="factor", where=Filter(agency="Agency", team_id=1))
    rows = {r.key: r for r in agency.rows}
    # Alpha's second factor has one writer: Alpha's month is one "other" piece, so the agency's row for the
    # second factor is Beta's, figure for figure, and subtracting gives exactly nothing.
    assert [r.key for r in alpha_only.rows] == [OTHER]
    assert (rows[second].moments, rows[second].people) == (beta_only.rows[0].moments, beta_only.rows[0].people)
    assert all(r.moments is None or r.moments % 5 == 0 for r in [*agency.rows, agency.total])
    # Excerpts only for a value with pieces of its own (Beta's 5 writers), never Alpha's odd one out.
    assert [e.theme_id for e in agency.excerpts] == [second]
    assert not any("a-odd" in text for e in agency.excerpts for text in e.excerpts)


def test_a_team_month_of_fewer_than_k_writers_is_left_out_and_periods_are_months(service):
    first = sorted(load_taxonomy().factors)[0]
    _write(service, [(1, f"a{i}", first) for i in range(6)] + [(2, f"s{i}", first) for i in range(3)])
    with Session(service.engine) as session:
        by_month = moments(service, session, by="period", where=Filter())
        small = moments(service, session, by="factor", where=Filter(team_id=2))
    assert [r.key for r in by_month.rows] == ["2026-11"]
    assert by_month.total.moments in (5, 10) and by_month.total.moments == by_month.rows[0].moments  # Alpha's 6 only
    assert small.rows == () and small.total.moments is None  # 3 writers: nothing at all
