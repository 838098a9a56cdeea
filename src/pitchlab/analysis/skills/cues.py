"""Word patterns several skill rules share: what a prospect says when they agree or push back,
and what they disclose (pain, its impact, how they buy).

Patterns are matched on whole words in lowercased text. They describe kinds of speech the
FEEDBACK.md rules name (an agreement, a pain, a number with a cost), never sentences of a
particular call.
"""

from __future__ import annotations

import re


class Cue:
    """Whole-word alternatives matched on the lowercased text (about four times faster than a
    case-insensitive pattern, which matters over a 60-minute call)."""

    def __init__(self, alternatives: tuple[str, ...]) -> None:
        self.pattern = r"\b(?:" + "|".join(alternatives) + r")\b"
        self._compiled = re.compile(self.pattern)

    def search(self, text: str) -> re.Match[str] | None:
        return self._compiled.search(text.lower())

    def findall(self, text: str) -> list[str]:
        return self._compiled.findall(text.lower())

    def without(self, text: str) -> str:
        """``text`` lowercased with what this cue matches taken out."""
        return self._compiled.sub(" ", text.lower())


def pattern(*alternatives: str) -> Cue:
    """Whole-word alternatives (each a lowercase regex fragment)."""
    return Cue(alternatives)


# The prospect agrees or warms up (closing: "the prospect's agreement"; objection handling:
# the prospect softened).
AGREEMENT = pattern(
    r"yes", r"yeah", r"yep", r"sure", r"okay", r"ok", r"works", r"sounds (?:good|great|fair)",
    r"let's(?: do)?", r"i can (?:do|make|take)", r"that (?:works|helps|makes sense)",
    r"makes sense", r"perfect", r"deal", r"go ahead", r"book it", r"send (?:it|me|the)",
    r"i'll (?:bring|loop|ask|add|tell|set|book|send|take)", r"put (?:it|me) down",
    r"closer", r"fair enough", r"good point", r"that's (?:exactly|fair|helpful|useful)",
    r"i like", r"worth (?:a|it)", r"count me in", r"absolutely", r"definitely", r"fine",
    # the prospect taking the step themselves: "set up thirty minutes", "book it", "invite"
    r"set (?:it |that |something )?up", r"book", r"schedule", r"invite", r"calendar",
    # warming: "it does", "I'm much more open", "that changes things"
    r"it does", r"(?:much )?more open", r"open to", r"that changes", r"good to know",
    r"interesting", r"i see", r"fair point", r"(?:might|could|would) (?:actually )?work",
)
# ... or holds back: a hedge, a repeated objection, a brush-off.
PUSHBACK = pattern(
    r"i guess", r"maybe", r"not sure", r"think about it", r"get back to you", r"i don't know",
    r"still", r"not really", r"we'll see", r"we're (?:fine|good|happy)", r"pretty happy",
    r"no thanks", r"not interested", r"i gotta go", r"i have to go", r"just send",
    r"send me (?:an email|some info|something)", r"not (?:now|right now|a priority)",
    r"we have (?:most of )?that", r"already", r"doesn't (?:change|help)", r"same thing",
    r"but", r"too (?:expensive|much|long)", r"whatever", r"if you (?:want|must|say so)",
)

# What the prospect discloses in discovery (FEEDBACK.md: "uncover pain, its impact and the
# buying process").
PAIN = pattern(
    r"problem\w*", r"pain", r"issue\w*", r"struggl\w*", r"frustrat\w*", r"hard", r"difficult",
    r"late", r"delay\w*", r"slow\w*", r"manual\w*", r"by hand", r"spreadsheet\w*", r"mess\w*",
    r"mistake\w*", r"error\w*", r"miss\w*", r"lost", r"los(?:e|ing)", r"churn\w*", r"quit",
    r"complain\w*", r"angry", r"scrambl\w*", r"fine[ds]?", r"penalt\w*", r"overtime",
    r"waste\w*", r"broke\w*", r"down", r"fail\w*", r"nightmare", r"awful", r"worr\w*",
    r"behind", r"backlog", r"no[- ]shows?", r"re-?runs?", r"double", r"twice", r"chas\w*",
    r"can't", r"don't have", r"nobody", r"never", r"every (?:morning|night|week|weekend|day)",
    r"overwhelm\w*", r"burn\w*", r"stress\w*", r"headache", r"tough", r"rough",
)
# Looking forward: a proposal or a commitment, not a recap ("thanks for taking the call").
FORWARD = pattern(r"will", r"\w+'ll", r"let's", r"can", r"could", r"would", r"should", r"shall",
                  r"want to", r"how about", r"next", r"going to", r"open to", r"up for")
# Impact is a number tied to a cost: money, time, people, customers, a share.
IMPACT_UNIT = pattern(
    r"\$?\d[\d,.]*k?", r"dollars?", r"grand", r"thousand", r"hundred", r"million", r"percent",
    r"%", r"hours?", r"days?", r"weeks?", r"months?", r"minutes?", r"revenue", r"cost\w*",
    r"paid", r"pay\w*", r"spend\w*", r"budget", r"margin\w*", r"customers?", r"clients?",
    r"accounts?", r"staff", r"people", r"reps?", r"fte", r"hires?", r"calls?",
    r"a (?:week|day|month|year|quarter)",
)
# The buying process: who decides, with what budget, by when.
PROCESS = pattern(
    r"decid\w*", r"decision\w*", r"sign\w*", r"approv\w*", r"budget\w*", r"procurement",
    r"owner\w*", r"board", r"ceo", r"cfo", r"cto", r"coo", r"vp", r"director\w*", r"partner\w*",
    r"boss", r"committee", r"legal", r"security review", r"questionnaire", r"deadline",
    r"renewal", r"contract", r"fiscal", r"by (?:january|february|march|april|may|june|july|"
    r"august|september|october|november|december|the end|q[1-4])",
    r"next (?:quarter|year|month)", r"weigh in", r"final say",
    r"who (?:signs|decides)", r"run it by", r"take it to",
)


def agrees(text: str) -> bool:
    """The turn agrees more than it holds back."""
    return len(AGREEMENT.findall(text)) > len(PUSHBACK.findall(text))
