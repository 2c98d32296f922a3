"""Every CSV a lead opens in a spreadsheet: nothing in it can run as a formula (OWASP CSV injection)."""

import csv
import io

from digests.barriers import BarrierTheme, barriers_csv
from digests.csv_cells import FORMULA_STARTS, safe_cell
from digests.evidence import evidence_csv
from digests.statistics import as_csv, build_table
from schedules.statistics import MEASURES, GroupCounts

NASTY = ['=HYPERLINK("http://x","y")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_inert(text: str) -> None:
    for cell in _cells(text):
        assert not cell.startswith(FORMULA_STARTS), cell


def test_formula_starts_get_a_quote_and_numbers_stay_numbers():
    for value in NASTY:
        assert safe_cell(value) == "'" + value
    assert safe_cell(-3) == -3 and safe_cell("plain") == "plain" and safe_cell(None) is None


def _group(key: str, people: int = 9) -> GroupCounts:
    return GroupCounts(key, people, {m: 12 for m in MEASURES}, {m: 7 for m in MEASURES})


def test_statistics_csv_neutralises_team_names_and_labels():
    table = build_table(
        "team", [_group(name) for name in NASTY], _group("total", 50), min_cell=5, labels={name: name for name in NASTY}
    )
    text = as_csv(table)
    _assert_inert(text)
    assert "'+cmd|' /C calc'!A0" in _cells(text)


def test_barriers_csv_neutralises_reflections():
    text = barriers_csv([BarrierTheme("t", "=label", 10, tuple(NASTY[:3]), "October 2026")])
    _assert_inert(text)
    assert '\'=HYPERLINK("http://x","y")' in _cells(text)


def test_evidence_csv_neutralises_agencies_and_teams():
    table = build_table("evidence", [_group(f"2026-Q4|{name}") for name in NASTY], _group("total", 50), min_cell=5)
    text = evidence_csv(table, [("lesson", "2026-Q4", name, True) for name in NASTY], subject="=theme")
    _assert_inert(text)
