"""Statistical disclosure control for every count a lead can see: the cell-key method (ONS, 2021 Census)
with random rounding to base 5, and a threshold on the number of people behind a group.

- Every delivery carries a fixed random record key (0..255, `schedules.record_keys.new_record_key`). A cell's
  key is the sum of the keys of the deliveries it counts, mod 256: the same deliveries always give the
  same key, whichever table, filter, window or export the cell appears in.
- A count is rounded to a multiple of 5, down or up. It goes up with probability (count mod 5) / 5, so
  figures are unbiased on average; which way is decided by the cell key, so the same cell always shows
  the same value. Asking again, or for the same people another way, gains nothing; subtracting two
  published figures leaves an error of up to 8 either way.
- A count never rounds up past the group's number of nudges (a published "10 of 6 right" would tell
  that all 6 were right).
- A group of fewer than `min_cell` distinct people shows no counts at all.
Totals are rounded as cells in their own right (from their own key), not added up from rounded rows, so
a hidden row cannot be recovered as "total minus the rows shown"; rounded parts need not add up to a
rounded total."""

from collections.abc import Mapping

from schedules.record_keys import RECORD_KEY_SPACE

BASE = 5
MIN_CELL_FLOOR = 3  # below this a "group" is a person or two: refused at start-up (bot/core/settings.py)
PLAIN_WORDS = (
    "Figures are rounded to a multiple of 5 (the same figure always shows the same number); "
    "groups of fewer than {k} people are not shown."
)


def cell_key(key_sum: int) -> int:
    return key_sum % RECORD_KEY_SPACE


def rounds_up(count: int, key_sum: int) -> bool:
    """True with probability (count mod BASE) / BASE over random record keys, fixed for a given cell."""
    return cell_key(key_sum) * BASE < (count % BASE) * RECORD_KEY_SPACE


def publish(count: int, key_sum: int, *, cap: int | None = None) -> int:
    """The figure shown for a true count: a multiple of BASE, rounded by the cell key, never above `cap`."""
    if count <= 0:
        return 0
    low = count - count % BASE
    if low == count:
        return count
    high = low + BASE
    return high if rounds_up(count, key_sum) and (cap is None or high <= cap) else low


def publish_counts(
    counts: Mapping[str, int], keys: Mapping[str, int], *, people: int, min_cell: int, cap_by: str | None = "delivered"
) -> dict[str, int | None]:
    """Every measure of one group as shown: all None (suppressed) when fewer than `min_cell` people lie
    behind it; otherwise each rounded from its own cell key, capped at the group's `cap_by` count."""
    if people < min_cell:
        return {name: None for name in counts}
    cap = counts.get(cap_by) if cap_by else None
    return {name: publish(value, keys.get(name, 0), cap=None if name == cap_by else cap) for name, value in counts.items()}


def possible_counts(shown: int, *, cap: int | None = None) -> range:
    """What an attacker who knows this method can conclude from one shown figure: the true count lies in
    this range (used by the tests' attacker and by bench/disclosure_accuracy.py)."""
    low = max(shown - BASE + 1, 0)
    high = shown + BASE - 1
    return range(low, high + 1 if cap is None else min(high, cap) + 1)
