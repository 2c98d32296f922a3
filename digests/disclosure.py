"""Statistical disclosure control for every count a lead can see: consistent suppression and pooling over
the finest cells every table is added up from, then the cell-key method (ONS, 2021 Census) with random
rounding to base 5.

Pieces first (`safe_pieces`). Every figure is a sum of *pieces*: one team (within one agency) in one ISO
week, split by at most one dimension (role, theme or lesson). Before anything is added up:
- a team-week with fewer than `min_cell` people is dropped from every figure, at every scope;
- within a kept team-week, a role, theme or lesson with fewer than `min_cell` people goes into "other";
  if "other" then holds fewer than `min_cell` people, the smallest named values join it until it does
  (at worst "other" is the whole team-week);
- a lesson counts as its own row only where it is its theme's whole piece (so "theme minus lesson"
  never leaves a small remainder).
So every published figure is a sum of pieces of `min_cell` people or more, the same pieces whatever the
table, scope, window or export, and no subtraction or linear combination of figures can isolate
anything smaller than a piece: a small group or one person is always mixed with at least `min_cell`
people in every figure that counts them. Rounding (below) then keeps a piece's own count from being
read exactly, so "all five said not yet" cannot be read either.

- Every delivery carries a fixed random record key (0..255, `schedules.disclosure_constants.new_record_key`). A cell's
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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from schedules.disclosure_constants import RECORD_KEY_SPACE
from schedules.statistics import MEASURES, GroupCounts, Piece

BASE = 5

PLAIN_WORDS = (
    "Figures are rounded to a multiple of 5 (the same figure always shows the same number); "
    "a team's week with fewer than {k} people is left out, and roles or themes with fewer than {k} people "
    "in a team's week are counted under 'other'."
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


OTHER = "other"  # the pooled value of a dimension within a team-week


Unit = tuple[int, str, str]  # (team id, agency, ISO week)


def _unit(piece: Piece) -> Unit:
    return piece.team_id, piece.agency, piece.week


def pooled_keys(
    base_people: Mapping[Unit, int], people: Mapping[tuple[Unit, str], int], *, min_cell: int
) -> dict[tuple[Unit, str], str | None]:
    """Where each (team-week, value) is counted: under its own value, under OTHER, or nowhere (None, its
    team-week has fewer than `min_cell` people). Pure, so the tests' attacker can apply the same rule.

    A named value's people are exact; "other" is given the team-week's people minus the named values',
    a lower bound (a person counted under two values only lowers it), so the rule errs towards pooling."""
    by_unit: dict[Unit, list[tuple[str, int]]] = {}
    for (unit, key), n in people.items():
        by_unit.setdefault(unit, []).append((key, n))
    out: dict[tuple[Unit, str], str | None] = {}
    for unit, values in by_unit.items():
        total = base_people.get(unit, 0)
        if total < min_cell:
            out.update({(unit, key): None for key, _ in values})
            continue
        named = sorted((n, key) for key, n in values if n >= min_cell and key != OTHER)
        small = [key for key, n in values if n < min_cell or key == OTHER]
        while small and named and total - sum(n for n, _ in named) < min_cell:
            small.append(named.pop(0)[1])  # the smallest named value joins "other"
        out.update({(unit, key): key for _, key in named})
        out.update({(unit, key): OTHER for key in small})
    return out


def _merge(pieces: Iterable[Piece], key: Callable[[Piece], tuple]) -> list[Piece]:
    merged: dict[tuple, Piece] = {}
    for piece in pieces:
        k = key(piece)
        if k in merged:
            old = merged[k]
            merged[k] = replace(
                old,
                people=old.people + piece.people,
                counts={m: old.counts.get(m, 0) + v for m, v in piece.counts.items()},
                keys={m: old.keys.get(m, 0) + v for m, v in piece.keys.items()},
            )
        else:
            merged[k] = piece
    return list(merged.values())


def safe_pieces(base: list[Piece], split: list[Piece] | None, *, min_cell: int) -> list[Piece]:
    """The pieces every figure is added up from: `base` team-weeks of `min_cell` people or more, or, with
    `split` (the same team-weeks by role, theme or lesson), those pooled by `pooled_keys`."""
    kept = [p for p in base if p.people >= min_cell]
    if split is None:
        return kept
    base_people = {_unit(p): p.people for p in base}
    where = pooled_keys(base_people, {(_unit(p), p.key): p.people for p in split}, min_cell=min_cell)
    people = {_unit(p): p.people for p in kept}
    relabelled = [replace(p, key=k) for p in split if (k := where[(_unit(p), p.key)]) is not None]
    # A pooled piece's people: its team-week's, at most (never shown; every piece has min_cell or more).
    return [replace(p, people=min(p.people, people[_unit(p)])) for p in _merge(relabelled, lambda p: (_unit(p), p.key))]


def whole_theme_lessons(
    theme_pieces: list[Piece], lesson_pieces: list[Piece], theme_of: Mapping[str, str], *, measure: str = "delivered"
) -> list[Piece]:
    """Lesson pieces that are the whole of their theme's piece in a team-week (pooled theme pieces
    first): a lesson shown beside its theme must not leave a remainder smaller than a piece. `measure`
    counts every record of a piece (nudges sent; impact questions asked)."""
    whole = {(_unit(p), p.key): p.counts.get(measure, 0) for p in theme_pieces if p.key != OTHER}
    return [p for p in lesson_pieces if whole.get((_unit(p), theme_of.get(p.key, OTHER))) == p.counts.get(measure, 0)]


def published_pieces_of(
    source: Callable[[str], list[Piece]], dim: str, *, theme_of: Mapping[str, str], min_cell: int, measure: str = "delivered"
) -> list[Piece]:
    """The safe pieces of one figure surface (the statistics, the loop figures, impact questions, practice
    moments): `source(d)` gives its raw team-period cells for d = "base" or a dimension ("lesson" needs
    "theme" too). "base": whole team-periods; "lesson": lessons that are their theme's whole piece;
    any other dimension: pooled by `pooled_keys`. Every surface goes through here, so all follow one rule."""
    base = source("base")
    if dim == "base":
        return safe_pieces(base, None, min_cell=min_cell)
    if dim == "lesson":
        by_theme = safe_pieces(base, source("theme"), min_cell=min_cell)
        return whole_theme_lessons(by_theme, source("lesson"), theme_of, measure=measure)
    return safe_pieces(base, source(dim), min_cell=min_cell)


def label_of(by: str) -> Callable[[Piece], str]:
    """The row a piece is added to in a table by `by`: its week (or month), team, agency, or its own value."""
    return {
        "week": lambda p: p.week,
        "team": lambda p: p.team,
        "agency": lambda p: p.agency,
        "total": lambda p: "total",
    }.get(by, lambda p: p.key)


def groups_of(pieces: Iterable[Piece], label: Callable[[Piece], str]) -> list[GroupCounts]:
    """Pieces added up into the rows of a table. A row's `people` is its largest piece (a lower bound;
    every piece has min_cell or more)."""
    rows: dict[str, tuple[int, dict[str, int], dict[str, int]]] = {}
    for piece in pieces:
        people, counts, keys = rows.setdefault(label(piece), (0, {}, {}))
        for m, v in piece.counts.items():
            counts[m] = counts.get(m, 0) + v
        for m, v in piece.keys.items():
            keys[m] = keys.get(m, 0) + v
        rows[label(piece)] = (max(people, piece.people), counts, keys)
    return [GroupCounts(key, people, counts, keys) for key, (people, counts, keys) in sorted(rows.items())]


def total_of(pieces: Iterable[Piece], measures: Iterable[str] = MEASURES) -> GroupCounts:
    rows = groups_of(pieces, lambda _: "total")
    return rows[0] if rows else GroupCounts("total", 0, dict.fromkeys(measures, 0), dict.fromkeys(measures, 0))
