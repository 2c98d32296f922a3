"""Disclosure control across every table, window and export: the differencing attacks in issue 14 and an
adversarial property test with an exact integer solver over everything a signed-in user can download."""

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlmodel import Session, select

from bot.core.settings import Settings
from bot.core.stats import published_pieces, stats_table
from digests.disclosure import BASE, OTHER, groups_of, possible_counts, publish, rounds_up
from schedules.statistics import Filter, safe_groups
from tests.schedules.disclosure_attack import MEASURES, Answer, Attacker, Org, download_everything, load

FIRST = date(2026, 10, 5)  # a Monday: October is 4 of these weeks, November the rest


def _lessons(service, count: int = 2) -> list[str]:
    """One lesson from each of `count` themes."""
    seen: dict[str, str] = {}
    for lesson in sorted(service.lessons.values(), key=lambda lesson: lesson.id):
        seen.setdefault(lesson.primary_theme, lesson.id)
    return list(seen.values())[:count]


def _attack(service, org: Org, truth_rows) -> tuple[Attacker, list[tuple], dict]:
    finest = sorted({cell for cell, _, _ in truth_rows})
    sizes: dict[tuple[str, str], int] = {}
    for team, _, role in org.people:
        sizes[(team, role)] = sizes.get((team, role), 0) + 1
    published, hidden = download_everything(service, org, truth_rows)
    return Attacker(finest, sizes, published), hidden, sizes


def _truth(truth_rows, cells, measure: str) -> int:
    return sum(t[measure] for cell, _, t in truth_rows if cell in cells)


# --- the pure rule --------------------------------------------------------------------------------------


def test_rounding_is_consistent_unbiased_and_bounded():
    for count in range(0, 40):
        for key in range(256):
            shown = publish(count, key)
            assert shown % BASE == 0 and abs(shown - count) < BASE and shown == publish(count, key)
            assert count in possible_counts(shown)
        ups = sum(rounds_up(count, key) for key in range(256))
        assert abs(ups / 256 - (count % BASE) / BASE) < 0.01  # the mean shown equals the true count


def test_never_rounds_up_past_the_nudges_sent():
    # "10 right of 6 sent" would tell that all 6 were right.
    assert all(publish(6, key, cap=6) == 5 for key in range(256))


def test_pieces_pool_small_values_and_drop_small_team_weeks():
    from digests.disclosure import pooled_keys

    week, small_team = (1, "A", "2026-W41"), (2, "A", "2026-W41")
    base = {week: 13, small_team: 2}
    people = {(week, "sw"): 6, (week, "police"): 5, (week, "hv"): 2, (small_team, "sw"): 2}
    got = pooled_keys(base, people, min_cell=5)
    # 2 health visitors alone would be a remainder of 2: the smallest named role (police, 5) joins them.
    assert got == {(week, "sw"): "sw", (week, "police"): OTHER, (week, "hv"): OTHER, (small_team, "sw"): None}
    # Nothing of size 1 to 4 is ever left as a piece of its own.
    assert pooled_keys({week: 6}, {(week, "sw"): 5, (week, "police"): 1}, min_cell=5) == {
        (week, "sw"): OTHER,
        (week, "police"): OTHER,
    }


def test_min_cell_below_three_is_refused():
    with pytest.raises(ValueError, match="LESSONLOOP_MIN_CELL is 2; it must be at least 3"):
        Settings(min_cell=2)
    assert Settings(min_cell=3).min_cell == 3


# --- the scenario -------------------------------------------------------------------------------


def _scenario(service) -> tuple[Org, list]:
    """Team Alpha: 5 social workers and 1 police officer; Team Beta: 5 police officers; one agency. The
    officer in Alpha got every check wrong and answered "not yet" 12 times."""
    people = [("Alpha", "Agency", "social-worker")] * 5 + [("Alpha", "Agency", "police")] + [("Beta", "Agency", "police")] * 5
    answers = []
    for i in range(len(people)):
        if i == 5:
            answers.append([Answer(True, False, "not_yet")] * 8)
        else:
            answers.append([Answer(True, (i + w) % 4 != 0, ("changed", "already", "not_yet")[(i * w) % 3]) for w in range(8)])
    org = Org(FIRST, 8, people, answers, _lessons(service))
    return org, load(service, org)


def test_subtracting_team_beta_from_the_agency_recovers_nothing_about_alphas_officer(service):
    org, rows = _scenario(service)
    with Session(service.engine) as session:
        agency = stats_table(service, session, by="role", where=Filter(agency="Agency"))
        beta = stats_table(service, session, by="role", where=Filter(agency="Agency", team_id=org.team_ids["Beta"]))
        alpha = stats_table(service, session, by="role", where=Filter(agency="Agency", team_id=org.team_ids["Alpha"]))
    a_row = next(r for r in agency.rows if r.key == "police")
    b_row = next(r for r in beta.rows if r.key == "police")
    # Alpha's officer is one person: Alpha's roles are pooled into one "other" row (the 5 social workers
    # with them, since 1 person alone cannot be pooled safely), so no police figure counts the officer and
    # the agency's police row is Beta's, figure for figure: the subtraction gives exactly nothing.
    assert [r.key for r in alpha.rows] == [OTHER]
    assert a_row.counts == b_row.counts
    # Everything anyone can see, solved together, still leaves the officer's answers open.
    attacker, _, _ = _attack(service, org, rows)
    officer_cells = {cell for cell, person, _ in rows if person == 5}
    for measure in ("correct", "not_yet"):
        low, high = attacker.range_of(officer_cells, measure)
        assert low < high and low <= _truth(rows, officer_cells, measure) <= high


def test_two_date_windows_subtracted_recover_nothing(service):
    org, rows = _scenario(service)
    beta = Filter(team_id=org.team_ids["Beta"])
    with Session(service.engine) as session:
        one_week = stats_table(service, session, by="week", where=Filter(FIRST, FIRST + timedelta(days=6), beta.team_id))
        october = stats_table(service, session, by="week", where=Filter(date(2026, 10, 1), date(2026, 10, 31), beta.team_id))
    assert one_week == october  # a window is widened to whole months: no week can be cut out by dates
    attacker, _, _ = _attack(service, org, rows)
    for week in sorted({cell[3] for cell, _, _ in rows}):
        cells = {cell for cell, _, _ in rows if cell[0] == "Beta" and cell[3] == week}
        for measure in ("correct", "not_yet"):
            low, high = attacker.range_of(cells, measure)
            assert low < high, (week, measure)


# --- the adversarial property test ----------------------------------------------------------------------

ROLES = ("social-worker", "police", "health-visitor")
BEHAVIOUR = st.sampled_from(["right", "wrong", "mixed", "silent", "not_yet"])


@st.composite
def organisations(draw):
    teams = draw(st.integers(2, 3))
    people: list[tuple[str, str, str]] = []
    for t in range(teams):
        agency = f"Agency {t % draw(st.integers(1, 2)) + 1}"
        for role in ROLES[: draw(st.integers(1, 3))]:
            people += [(f"Team {t + 1}", agency, role)] * draw(st.sampled_from([1, 1, 2, 3, 5, 6, 7]))
    weeks = draw(st.integers(3, 5))
    answers = []
    for i in range(len(people)):
        kind = draw(BEHAVIOUR)
        row: list[Answer | None] = []
        for w in range(weeks):
            if kind == "silent" or (kind == "mixed" and (i + w) % 3 == 0):
                row.append(None)
            else:
                correct = {"right": True, "wrong": False}.get(kind, (i * 7 + w) % 2 == 0)
                row.append(Answer(True, correct, "not_yet" if kind == "not_yet" else ("changed", "already")[(i + w) % 2]))
        answers.append(row)
    return people, weeks, answers


def _sql_pools_as_the_rule_says(service, org: Org) -> None:
    """The tables add up pieces in SQL (schedules.statistics.safe_groups); the rule is digests.disclosure
    (pooled_keys, safe_pieces). Both must give the same rows, at every scope."""
    labels = {"week": lambda p: p.week, "team": lambda p: p.team, "agency": lambda p: p.agency, "key": lambda p: p.key}
    with Session(service.engine) as session:
        for where in (Filter(), *(Filter(team_id=t) for t in org.team_ids.values())):
            for by, dim in (("week", "base"), ("team", "base"), ("agency", "base"), ("key", "role"), ("key", "theme")):
                sql = safe_groups(session, by=by, dim=dim, where=where, min_cell=service.settings.min_cell)
                rule = groups_of(published_pieces(service, session, dim=dim, where=where), labels[by])
                got, want = (sorted((g.key, g.counts, g.keys) for g in rows) for rows in (sql, rule))
                assert got == want, (by, dim)


# Strict: every figure is a sum of pieces of k or more people (digests/disclosure.py), so no combination of
# figures isolates anything smaller. Before that, cell-key rounding alone let this solver pin a small cell in
# 1 organisation in 347 (one seen: a 2-person team's week, both "not yet", pinned to 2 from the agency's
# rows that count it set against the other team's own rows).
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(organisations())
def test_an_attacker_with_everything_recovers_no_small_cell_and_no_answer(service, drawn):
    people, weeks, answers = drawn
    org = Org(FIRST, weeks, people, answers, _lessons(service))
    rows = load(service, org)
    attacker, hidden, sizes = _attack(service, org, rows)
    k = service.settings.min_cell
    _sql_pools_as_the_rule_says(service, org)
    targets = set(hidden)  # every row shown as suppressed: fewer than k people
    for (team, role), size in sizes.items():  # every group of fewer than k people, in every month and overall
        cells = {cell for cell, _, _ in rows if cell[0] == team and cell[2] == role}
        if size < k:
            targets.add(frozenset(cells))
            for month in ({c for c in cells if c[3] < "2026-W45"}, {c for c in cells if c[3] >= "2026-W45"}):
                targets.add(frozenset(month))
    themes_in: dict[tuple, set[int]] = {}  # every team x theme x month that fewer than k people got
    for cell, person, _ in rows:
        themes_in.setdefault((cell[0], cell[4], cell[3] < "2026-W45"), set()).add(person)
    for (team, theme, october), who in themes_in.items():
        if len(who) < k:
            targets.add(frozenset(c for c, _, _ in rows if c[0] == team and c[4] == theme and (c[3] < "2026-W45") == october))
    for person in range(len(people)):  # and every person's own answers
        targets.add(frozenset(cell for cell, who, _ in rows if who == person and sizes[(cell[0], cell[2])] < k))
    for cells in filter(None, targets):
        for measure in ("correct", "not_yet"):
            truth = _truth(rows, cells, measure)
            assert not attacker.pinned(cells, measure, truth), f"{measure} of {sorted(cells)} pinned to {truth}"
    # Groups of k or more: nobody learns that every member gave the same answer.
    for (team, role), size in sizes.items():
        cells = {cell for cell, _, _ in rows if cell[0] == team and cell[2] == role}
        if size >= k:
            low, high = attacker.range_of(cells, "not_yet")
            assert not (low == high == 0) and not (low == high == size * weeks), (team, role)
    assert MEASURES


# --- excerpts of reflections ----------------------------------------------------------------------------


def test_excerpts_need_min_cell_distinct_writers_not_reflections():
    from digests.barriers import group_barriers

    one_officer = [("theme", 42, f"No time this week, caseload again ({n}).") for n in range(8)]
    assert group_barriers({"theme": (8, 99)}, one_officer, labels={}, min_cell=5) == []
    five = [("theme", w, f"Waiting on the system, writer {w}.") for w in range(5)] + one_officer
    (shown,) = group_barriers({"theme": (13, 99)}, five, labels={}, min_cell=5, period="October 2026")
    assert shown.count % BASE == 0 and shown.period == "October 2026" and len(shown.excerpts) == 3
    assert sum("caseload again" in e for e in shown.excerpts) <= 1  # one voice never fills the list
    again = group_barriers({"theme": (13, 99)}, list(reversed(five)), labels={}, min_cell=5, period="October 2026")
    assert again == [shown]  # order from a hash of the text, not from when or by whom


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b"]), st.integers(0, 7), st.sampled_from(["No time.", "Waiting.", "Caseload."])),
        max_size=40,
    ),
    st.integers(0, 40),
)
def test_the_sample_limit_can_only_hide_never_pick_out_a_writer(samples, limit):
    """barrier_samples reads at most 200 reflections of the fixed month (newest first): the k-writer rule
    then runs on that sample, whose writers are a subset of the month's, so the limit can hide a theme but
    never show one that fewer than k people wrote on, nor give one writer more than one excerpt."""
    from digests.barriers import group_barriers

    counts = {t: (sum(1 for s in samples if s[0] == t), 0) for t in "ab"}
    writers = {t: {w for theme, w, _ in samples if theme == t} for t in "ab"}
    full = {b.theme_id for b in group_barriers(counts, samples, labels={}, min_cell=5)}
    for shown in group_barriers(counts, samples[:limit], labels={}, min_cell=5):
        assert shown.theme_id in full and len(writers[shown.theme_id]) >= 5
        assert len(shown.excerpts) <= len({w for theme, w, _ in samples[:limit] if theme == shown.theme_id})
    assert group_barriers(counts, samples, labels={}, min_cell=5) == group_barriers(counts, samples[::-1], labels={}, min_cell=5)


# --- the scenario on the other figure surfaces (loop, impact, lesson feedback) -------------------


def test_loop_figures_agency_police_row_minus_betas_recovers_nothing(service):
    """Closing the loop by role (issue 13): the agency's police row is Beta's, figure for figure."""
    from bot.core.loop_figures import loop_table
    from digests.loop_tables import loop_dict

    org, _ = _scenario(service)
    with Session(service.engine) as session:
        agency = loop_dict(loop_table(service, session, by="role", where=Filter(agency="Agency")))
        beta = loop_dict(loop_table(service, session, by="role", where=Filter(agency="Agency", team_id=org.team_ids["Beta"])))
        alpha = loop_dict(loop_table(service, session, by="role", where=Filter(agency="Agency", team_id=org.team_ids["Alpha"])))
    police = next(r for r in agency["rows"] if r["key"] == "police")
    assert [r["key"] for r in alpha["rows"]] == [OTHER]
    assert police == next(r for r in beta["rows"] if r["key"] == "police")


def _ask_impact(service, org: Org) -> None:
    """One impact question a person in November, answered: Alpha's officer says "not at all"."""
    from schedules.models import Delivery, FollowUpAnswer, Person

    at = datetime(2026, 11, 3, 10, tzinfo=timezone.utc)
    with Session(service.engine) as session:
        for i, person in enumerate(session.exec(select(Person).order_by(Person.id))):
            question = Delivery(person_id=person.id, kind="impact", period=f"i{at:%Y-%m}", months=3, lesson_id=org.lessons[0],
                                lesson_version="1", role=person.role, team_id=person.team_id, agency=person.agency,
                                status="sent", due_at=at, sent_at=at, created_at=at)  # fmt: skip
            session.add(question)
            session.flush()
            outcome = "not_at_all" if i == 5 else ("a_lot", "a_little")[i % 2]
            session.add(FollowUpAnswer(delivery_id=question.id, person_id=person.id, lesson_id=org.lessons[0],
                                       outcome=outcome, created_at=at, updated_at=at))  # fmt: skip
        session.commit()


def test_impact_figures_agency_police_row_minus_betas_recovers_nothing(service):
    """Impact questions by role (issue 17): Alpha's officer is pooled into Alpha's "other"."""
    from bot.core.loop_figures import impact_table
    from digests.loop_tables import loop_dict

    org, _ = _scenario(service)
    _ask_impact(service, org)
    with Session(service.engine) as session:
        agency = loop_dict(impact_table(service, session, by="role", where=Filter(agency="Agency")))
        beta = loop_dict(impact_table(service, session, by="role", where=Filter(agency="Agency", team_id=org.team_ids["Beta"])))
        alpha = loop_dict(impact_table(service, session, by="role", where=Filter(agency="Agency", team_id=org.team_ids["Alpha"])))
    police = next(r for r in agency["rows"] if r["key"] == "police")
    assert [r["key"] for r in alpha["rows"]] == [OTHER]
    assert police == next(r for r in beta["rows"] if r["key"] == "police")
