"""Does a reflection read like a live safeguarding concern? Then the writer sees, at once, that this tool
is not a referral route and who to contact now. The rules err towards showing that signpost: a false
alarm costs a moment's reading; a missed concern could cost a child.

A reflection is a live concern when any rule matches:
  worry_now      the writer is worried/concerned/scared about a child or young person now
  disclosure     a child told, said or disclosed something about harm (hitting, hurting, touching, abuse...)
  harm_now       harm or danger words together with a present-time word (today, tonight, now, this morning...)
  unsure_report  the writer asks whether to report, or says they have not yet told anyone
  going_home     a child is going home (tonight/later) to someone who harms them
Each rule is a regular expression over the lower-cased text; examples are in tests/test_privacy.py."""
import re
from dataclasses import dataclass

CHILD = r"(?:child|children|boy|girl|baby|babies|kid|kids|pupil|student|young person|toddler|teen(?:ager)?|infant|son|daughter|him|her|them|he|she|they|a \d+[- ]year[- ]old)"
HARM = r"(?:hit|hits|hitting|hurt|hurts|hurting|hurtful|beat|beats|beaten|abus\w*|touch\w*|kick\w*|punch\w*|slap\w*|bruis\w*|burn\w*|injur\w*|harm\w*|unsafe|not safe|danger\w*|scared|frightened|afraid|locked|starv\w*|neglect\w*|exploit\w*|groom\w*|rape\w*|sex\w*)"
NOW = r"(?:today|tonight|right now|now|this morning|this afternoon|this evening|at the moment|currently|still|yesterday|just now|this week)"

RULES = {
    "worry_now": re.compile(rf"\b(?:i'?m|i am|we'?re|we are|i'?ve been|i feel|i remain)\s+(?:\w+\s+){{0,2}}(?:worried|concerned|scared|frightened|anxious|uneasy)\s+(?:about|for|that)\s+(?:\w+\s+){{0,3}}{CHILD}\b"),
    "disclosure": re.compile(rf"\b(?:disclos\w*|told me|tells me|said (?:that )?(?:his|her|their|mum|dad|step)|has told|confided)\b(?:\W+\w+){{0,12}}?\W+{HARM}\b"),
    "harm_now": re.compile(rf"(?:\b{HARM}\b(?:\W+\w+){{0,8}}?\W+{NOW}\b|\b{NOW}\b(?:\W+\w+){{0,8}}?\W+{HARM}\b)"),
    "unsure_report": re.compile(r"\b(?:should i|do i need to|who do i|how do i|shall i)\s+(?:report|refer|tell|call|ring|contact|raise)|\b(?:haven'?t|have not|not yet|didn'?t|did not)\s+(?:yet\s+)?(?:told|reported|referred|passed (?:it|this) on|told anyone)"),
    "going_home": re.compile(rf"\bgoing (?:back )?home\b(?:\W+\w+){{0,6}}?\W+(?:to (?:him|her|them|his|their|mum|dad|step\w*)|tonight|later)"),
}
# Phrases that place the words in the lesson, the past or a hypothetical, not in the writer's week now.
NOT_LIVE = re.compile(r"\b(?:in the lesson|the vignette|in the case study|used to|years ago|in a past case|in a previous case|imagine|if a child|what if|hypothetical)\b")


@dataclass(frozen=True)
class ConcernCheck:
    live: bool
    rules: tuple[str, ...]


def check_concern(text: str) -> ConcernCheck:
    lowered = " ".join(text.lower().split())
    matched = tuple(name for name, rule in RULES.items() if rule.search(lowered))
    # A "not live" phrase only outweighs the weakest signal; a disclosure or a worry now always shows the signpost.
    if matched == ("harm_now",) and NOT_LIVE.search(lowered):
        return ConcernCheck(False, matched)
    return ConcernCheck(bool(matched), matched)
