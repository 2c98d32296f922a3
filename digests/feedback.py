"""Lesson feedback as authors see it (`lessonloop lessons feedback`): sums of the statistics' safe lesson
pieces (digests/disclosure.py), so the same figures and the same protection as every statistic. A lesson
is counted only in the team-weeks where it was its theme's whole piece of min_cell people or more; its
"not relevant" answers are given by role only for pieces that went to one role alone. Every count is
rounded from its own cell key, never above the nudges sent."""

from collections.abc import Mapping

from digests.disclosure import groups_of, publish_counts
from schedules.statistics import GroupCounts, Piece

# The author's names for the statistics' measures; "checks_wrong" is checked minus correct.
NAMES = {"sent": "delivered", "replies": "replied", "checks_answered": "checked", "not_relevant": "not_relevant"}


def _author_counts(group: GroupCounts) -> tuple[dict[str, int], dict[str, int]]:
    counts = {name: group.counts.get(m, 0) for name, m in NAMES.items()}
    keys = {name: group.keys.get(m, 0) for name, m in NAMES.items()}
    counts["checks_wrong"] = group.counts.get("checked", 0) - group.counts.get("correct", 0)
    keys["checks_wrong"] = group.keys.get("checked", 0) - group.keys.get("correct", 0)
    return counts, keys


def published_feedback(
    lesson_pieces: list[Piece], role_of: Mapping[tuple[int, str, str, str], str], *, min_cell: int
) -> list[dict]:
    """`lesson_pieces`: the safe lesson pieces; `role_of`: the role of each piece that went to one role."""
    out = []
    by_role: dict[str, list[Piece]] = {}
    for p in lesson_pieces:
        role = role_of.get((p.team_id, p.agency, p.week, p.key))
        if role is not None:
            by_role.setdefault(p.key, []).append(p)
    for group in groups_of(lesson_pieces, lambda p: p.key):
        counts, keys = _author_counts(group)
        shown = publish_counts(counts, keys, people=group.people, min_cell=min_cell, cap_by="sent")
        wrong, answered = shown["checks_wrong"], shown["checks_answered"]
        roles = {}
        for role_group in groups_of(by_role.get(group.key, []), lambda p: role_of[(p.team_id, p.agency, p.week, p.key)]):
            role_counts, role_keys = _author_counts(role_group)
            by = publish_counts(role_counts, role_keys, people=role_group.people, min_cell=min_cell, cap_by="sent")
            if by["not_relevant"]:  # none to report (0) is left out
                roles[role_group.key] = by["not_relevant"]
        out.append(
            {
                "lesson_id": group.key,
                **{name: shown[name] for name in ("sent", "replies", "checks_answered", "checks_wrong", "not_relevant")},
                "wrong_rate": round(wrong / answered, 2) if wrong is not None and answered else None,
                "not_relevant_roles": roles,
            }
        )
    return sorted(out, key=lambda f: (-(f["not_relevant"] or 0), -(f["wrong_rate"] or 0), f["lesson_id"]))
