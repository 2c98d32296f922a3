"""What a person chooses when sharing their record: the stretch of it and the link's life (pure)."""

from datetime import date

import pytest

from schedules.share_period import ShareChoice, ShareChoiceError, share_choice

TODAY = date(2026, 12, 2)


def test_presets_count_back_from_today():
    assert share_choice("2w", "", "", "7", TODAY) == ShareChoice(date(2026, 11, 18), TODAY, 7)
    assert share_choice("1m", "", "", "14", TODAY) == ShareChoice(date(2026, 11, 1), TODAY, 14)
    assert share_choice("3m", "ignored", "", "90", TODAY).start == date(2026, 9, 1)


def test_custom_dates_are_kept_both_included():
    assert share_choice("custom", "2026-10-01", " 2026-10-31 ", "30", TODAY) == ShareChoice(
        date(2026, 10, 1), date(2026, 10, 31), 30
    )
    assert share_choice("custom", "2026-12-02", "2026-12-02", "7", TODAY).start == TODAY


@pytest.mark.parametrize(
    ("period", "start", "end", "expiry", "says"),
    [
        ("custom", "2026-11-10", "2026-11-01", "7", "'from' date is after the 'to' date"),
        ("custom", "1st Nov", "2026-11-01", "7", "'from' date must be a date"),
        ("custom", "2026-11-01", "", "7", "'to' date must be a date"),
        ("custom", "2026-11-01", "2026-12-03", "7", "'to' date is in the future"),
        ("custom", "0202-11-01", "2026-12-01", "7", "'from' date is before 2000"),
        ("forever", "", "", "7", "'what to share'"),
        ("2w", "", "", "365", "'link works for'"),
        ("2w", "", "", "١٤", "'link works for'"),  # Arabic-Indic digits: isdigit() says yes, the choice says no
        ("2w", "", "", "", "'link works for'"),
    ],
)
def test_bad_choices_name_the_field(period, start, end, expiry, says):
    with pytest.raises(ShareChoiceError, match=says):
        share_choice(period, start, end, expiry, TODAY)
