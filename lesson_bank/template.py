"""A ready-to-fill lesson file (format v2) for `lessonloop lessons new`."""

from datetime import date

TEMPLATE = """---
id: {id}
title: "Write a short title that says the practice point"
status: draft                 # change to published when reviewed
kind: learning                # or went-well (then the middle heading is '### What helped')
plain_english: false
themes: [{theme}]
roles: []                     # role ids from lesson_bank/taxonomy.yaml
levels: [practitioner]        # practitioner | supervisor | strategic
sensitive: false
# support: "Where to get support if the content is distressing (required when sensitive: true)."
guidance: []                  # guidance ids from lesson_bank/taxonomy.yaml, e.g. [wt2023]
reflect: "One question about the reader's own practice."
check:
  question: "A practice situation with one best answer."
  options:                    # exactly 4, each at most 90 characters, each with a one-line why
    - text: "Something a busy, reasonable practitioner might really do"
      why: "Why this falls short."
    - text: "The best action (not the longest option)"
      why: "Right: why this is the best action."
    - text: "Another plausible action"
      why: "Why this falls short."
    - text: "A third plausible action"
      why: "Why this falls short."
  answer: 2
review_check:                 # a different situation testing the same principle (asked on reviews)
  question: "A new situation, same principle."
  options:
    - text: "..."
      why: "..."
    - text: "..."
      why: "..."
    - text: "..."
      why: "..."
    - text: "..."
      why: "..."
  answer: 3
try_this_week: "One small, concrete thing to try this week, e.g. save the number for {{local:front_door}}."
sources:
  - title: "A public source a reader can open"
    publisher: "Who published it"
    year: {year}
    url: "https://..."
# review_by: YYYY-MM-DD      # optional: otherwise the earliest review date of the guidance above
# publish_after: {publish_after}   # embargo for a recent local case
---
### What happened
A short, anonymised vignette: no names, places or dates that could identify anyone.

### Why it happened
The pressures and system conditions that made this easy to miss. Never blame a person.

### What to do
One practice point.
"""


def new_lesson_text(lesson_id: str, theme: str, today: date) -> str:
    from datetime import timedelta

    return TEMPLATE.format(id=lesson_id, theme=theme, year=today.year, publish_after=today + timedelta(days=180))
