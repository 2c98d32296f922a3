"""Does a reflection read like a live safeguarding concern? Then the writer sees, at once, that this tool
is not a referral route and who to contact now. The rules err towards showing that signpost: a false
alarm costs a moment's reading; a missed concern could cost a child.

The text is read for five kinds of signal (word lists below, matched on the lower-cased text):
  NOW     it is happening in the writer's present: today, tonight, right now, last night, again, still...
  HARM    a sign of harm or risk: marks, burns, locked in, no food, home alone, self-harm, older men...
  CHILD   a child or young person: child, baby, toddler, a 15 year old, Year 4, he's 12...
  UNSURE  the writer is unsure what to do or has not yet passed it on: should I, who do I tell,
          I haven't told anyone, nobody else knows, I need to act...
  TOLD    a disclosure: told me, said, disclosed, asked me whether...
A reflection is a live concern when it has UNSURE with HARM, CHILD or NOW; or HARM with NOW or TOLD; or
CHILD with TOLD and NOW; or asks whether to report, refer or tell. It is not, when the only signals sit in a frame that places them in the lesson,
the past or a hypothetical (PAST) and the writer is not unsure. Examples in tests/test_privacy.py; recall
and false alarms on the test corpus are printed by bench/redaction.py."""

import re
from dataclasses import dataclass


def _words(*alternatives: str) -> re.Pattern:
    return re.compile(r"\b(?:" + "|".join(alternatives) + r")\b")


NOW = _words(
    r"today",
    r"tonight",
    r"right now",
    r"now",
    r"this (?:morning|afternoon|evening|week|weekend)",
    r"last night",
    r"yesterday",
    r"tomorrow",
    r"at the moment",
    r"currently",
    r"still",
    r"again",
    r"just (?:left|now|saw|seen)",
    r"(?:friday|saturday|sunday|monday|tuesday|wednesday|thursday) (?:night|morning|evening)",
    r"this minute",
    r"since (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|last week|yesterday)",
    r"\d{1,2}(?::\d{2})?\s?(?:am|pm)",
    r"the middle of the night",
    r"before (?:friday|the weekend|tomorrow|monday)",
    r"\d{1,2}[.:]\d{2}\s?(?:am|pm)",
    r"next (?:week|appt|appointment|visit)",
    r"on (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)",
    r"this (?:summer|half[- ]term|holiday)",
    r"(?:summer|half[- ]term|easter|christmas) holidays?",
    r"tomorrow morning",
    r"haven'?t come in",
    r"not been in",
    r"outside now",
    r"anymore",
)
HARM = _words(
    r"hit(?:s|ting)?",
    r"hurt(?:s|ing)?",
    r"beat(?:s|en|ing)?",
    r"abus\w*",
    r"kick\w*",
    r"punch\w*",
    r"slap\w*",
    r"bruis\w*",
    r"burns?",
    r"burnt",
    r"cut lip",
    r"marks?",
    r"injur\w*",
    r"harm\w*",
    r"self-harm\w*",
    r"unsafe",
    r"not safe",
    r"danger\w*",
    r"scared",
    r"frightened",
    r"afraid",
    r"locks?",
    r"locked",
    r"no food",
    r"hasn'?t eaten",
    r"hungry",
    r"starv\w*",
    r"neglect\w*",
    r"exploit\w*",
    r"groom\w*",
    r"rape\w*",
    r"secret\w*",
    r"touch\w*",
    r"sleep in her bed",
    r"sleep in his bed",
    r"home alone",
    r"no adult",
    r"with no adult",
    r"gone away",
    r"missing",
    r"sleeping rough",
    r"older (?:men|man|friend|boys?)",
    r"messag\w*",
    r"married",
    r"abroad",
    r"threat\w*",
    r"drunk",
    r"alcohol",
    r"cannabis",
    r"drugs?",
    r"could barely stand",
    r"screaming",
    r"crying",
    r"freezing",
    r"no heating",
    r"below zero",
    r"in a drawer",
    r"weight has dropped",
    r"torn frenulum",
    r"did all the talking",
    r"bag to hold",
    r"not on her collection list",
    r"not on his collection list",
    r"isn'?t on (?:her|his) collection list",
    r"non-molestation",
    r"wasn'?t (?:his|her) parent",
    r"too loud",
    r"can'?t go home",
    r"don'?t ring my mum",
    r"don'?t tell",
    r"plan",
    r"vodka",
    r"nobody has seen",
    r"not right",
    r"bad feeling",
    r"domestic",
    r"\bda\b",
    r"perpetrator",
    r"cancelled",
    r"no checks",
    r"hasn'?t had any checks",
    r"worried sick",
    r"shaking",
    # left alone, runaways and missing from view
    r"alone",
    r"on (?:his|her|their) own",
    r"nobody has come",
    r"no one (?:has )?came?",
    r"where no one can find",
    r"curtains",
    r"not answering",
    r"go(?:es)? to voicemail",
    r"vanish\w*",
    r"run away",
    r"ran away",
    # FGM, forced marriage, honour-based abuse
    r"fgm",
    r"cut(?:ting)?",
    r"do the girls",
    r"wedding",
    r"marr\w*",
    r"won'?t be allowed back",
    r"tradition",
    # sexual abuse and exploitation, online harm
    r"pregnant",
    r"back room",
    r"doesn'?t like it",
    r"meet (?:him|her|them)",
    r"sending (?:him|her) money",
    r"gifts?",
    r"nudes?",
    r"pictures",
    r"roblox|snapchat|tiktok|instagram|whatsapp",
    r"county lines",
    r"older (?:boyfriend|partner)",
    # injuries in babies and young children
    r"swollen",
    r"won'?t weight bear",
    r"fractur\w*",
    r"black eye",
    r"frenulum",
    r"thin",
    r"losing weight",
    # parental crisis and domestic abuse
    r"better off without",
    r"can'?t do this",
    r"end(?:ing)? it",
    r"suicid\w*",
    r"overdos\w*",
    r"ex has",
    r"found the new address",
    r"in tears",
    r"wouldn'?t look at me",
    r"answered every question",
    r"controlling",
)
CHILD = _words(
    r"child(?:ren)?",
    r"kids?",
    r"baby",
    r"babies",
    r"toddlers?",
    r"infant",
    r"boy",
    r"girl",
    r"lad",
    r"young person",
    r"pupil",
    r"teen(?:ager)?",
    r"little (?:one|ones|girl|boy)",
    r"\d{1,2}[- ]?(?:year[- ]old|yo|months?)",
    r"year \d{1,2}",
    r"reception",
    r"nursery",
    r"under-\d+",
    r"(?:he|she)(?:'s| is) \d{1,2}",
    r"aged? \d{1,2}",
    r"in care",
    r"son",
    r"daughter",
    r"daughters",
    r"sons",
    r"my class",
    r"tutor group",
    r"youth group",
    r"twins",
    r"student",
    r"\d{1,2} ?(?:yr|yrs|year)s? old",
    r"age \d{1,2}",
    r"\(\d{1,2}\)",
    r"\d{1,2}yo",
    r"sibling\w*",
    r"(?:his|her|the) (?:kids|children|little ones)",
)
UNSURE = _words(
    r"should i",
    r"shall i",
    r"do i need to",
    r"what do i do",
    r"what should i",
    r"who (?:do i|should i|to) (?:tell|call|ring)",
    r"who else to tell",
    r"not sure (?:who|what|if|whether|i should)",
    r"don'?t know (?:who|what|if|whether)",
    r"i don'?t know what",
    r"haven'?t (?:told|said|done|written|reported|referred|passed)",
    r"nobody (?:else )?(?:knows|is aware)",
    r"don'?t know yet",
    r"(?:care|police|social care|they) don'?t know yet",
    r"need to (?:act|raise|report|tell)",
    r"call it in",
    r"can someone",
    r"please can someone",
    r"is this (?:exploitation|abuse|neglect)",
    r"can'?t get through",
    r"not happy",
    r"can'?t shake",
    r"keeps? replaying",
    r"keep thinking",
    r"is it normal",
    r"i'?m only a volunteer",
    r"don'?t know what my role",
    r"should have called",
    r"is .* still the right",
    r"not said anything",
    r"instead of doing something",
    r"wondering if",
    r"no reply yet",
    r"nobody has called",
    r"haven'?t done anything",
    r"i'?m worried",
    r"i am worried",
    r"worried about (?:a|this|the|her|him|them)",
    r"before i go to the dsl",
    r"keep it secret",
    r"needs to be seen today",
    r"not sure i should",
    r"begged me not to",
    r"not to tell",
    r"can i\b",
    r"what now",
    r"help\b",
    r"\?\?",
)
TOLD = _words(
    r"told me",
    r"tells me",
    r"told the",
    r"disclos\w*",
    r"said (?:she|he|they|his|her|mum|dad|that)",
    r"says (?:she|he|they)",
    r"asked (?:me )?(?:if|whether)",
    r"showed me",
    r"confided",
    r"messaged me",
)
PAST = _words(
    r"in the lesson",
    r"the lesson (?:said|says)",
    r"the vignette",
    r"in the vignette",
    r"case study",
    r"last year",
    r"used to",
    r"years ago",
    r"in a past case",
    r"in a previous case",
    r"if a child",
    r"what if",
    r"imagine",
    r"i'?d now know",
    r"i'?d like to think",
    r"looking back",
)
ASKS_TO_REPORT = re.compile(r"\b(?:should|shall|do) i (?:need to )?(?:report|refer|tell|call|ring|raise)\b")
GOING_HOME_ALOUD = re.compile(r"\bgoing (?:back )?home to (?:him|her|them|his|their|mum|dad|step\w*)\b")


@dataclass(frozen=True)
class ConcernCheck:
    live: bool
    signals: tuple[str, ...]


def check_concern(text: str) -> ConcernCheck:
    lowered = " ".join(text.lower().replace("’", "'").split())
    found = {
        name
        for name, words in (("now", NOW), ("harm", HARM), ("child", CHILD), ("unsure", UNSURE), ("told", TOLD))
        if words.search(lowered)
    }
    if GOING_HOME_ALOUD.search(lowered):
        found.add("harm")
    live = (
        ("unsure" in found and bool(found & {"harm", "child", "now"}))
        or ("harm" in found and bool(found & {"now", "told"}))
        or {"child", "told", "now"} <= found
        or bool(ASKS_TO_REPORT.search(lowered))
    )
    if live and "unsure" not in found and PAST.search(lowered):
        live = False  # the lesson, the past or a hypothetical: not this week's child
    return ConcernCheck(live, tuple(sorted(found)))
