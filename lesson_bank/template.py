"""A ready-to-fill lesson file for `lessonloop lessons new`."""
from datetime import date, timedelta

TEMPLATE = """---
id: {id}
title: "Write a short title that says the practice point"
status: draft                 # change to published when reviewed
kind: learning                # or went-well
plain_english: false
themes: [{theme}]
roles: []                     # role ids from lesson_bank/taxonomy.yaml
levels: [practitioner]
reflect: "One question about the reader's own practice."
check:
  question: "A question with one clearly right answer."
  options:
    - "A plausible wrong answer"
    - "The right answer"
    - "Another plausible wrong answer"
  answer: 2
  explanation: "One line that says why."
try_this_week: "One small, concrete thing to try this week."
sources:
  - title: "Your local case review (anonymised), or a public publication"
    year: {year}
review_by: {review_by}
sensitive: false
# support: "Where to get support if the content is distressing (required when sensitive: true)."
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
    return TEMPLATE.format(id=lesson_id, theme=theme, year=today.year, review_by=today + timedelta(days=365),
                           publish_after=today + timedelta(days=180))
