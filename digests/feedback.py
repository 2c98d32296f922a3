"""Lesson feedback as authors see it (`lessonloop lessons feedback`): the same disclosure control as every
statistic, with the same LESSONLOOP_MIN_CELL. A lesson or a role covering fewer than min_cell people
shows nothing; every count is rounded from its own cell key, never above the nudges sent."""

from digests.disclosure import publish_counts
from schedules.feedback import LessonFeedback


def published_feedback(rows: list[LessonFeedback], *, min_cell: int) -> list[dict]:
    out = []
    for item in rows:
        shown = publish_counts(item.total.counts, item.total.keys, people=item.total.people, min_cell=min_cell, cap_by="sent")
        wrong, answered = shown["checks_wrong"], shown["checks_answered"]
        roles = {}
        for role, counted in sorted(item.roles.items()):
            by_role = publish_counts(counted.counts, counted.keys, people=counted.people, min_cell=min_cell, cap_by="sent")
            if by_role["not_relevant"]:  # a role group too small (None) or with none to report (0) is left out
                roles[role] = by_role["not_relevant"]
        out.append(
            {
                "lesson_id": item.lesson_id,
                **shown,
                "wrong_rate": round(wrong / answered, 2) if wrong is not None and answered else None,
                "not_relevant_roles": roles,
            }
        )
    return sorted(out, key=lambda f: (-(f["not_relevant"] or 0), -(f["wrong_rate"] or 0), f["lesson_id"]))
