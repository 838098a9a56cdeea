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

# A hard situation the prospect is in (rapport: "empathy when the prospect is negative"): read
# from what happened to them, not from word valences, which call "our CFO would lose the
# argument" negative and "we laid off twelve people" neutral. Loss, layoffs and cuts, being
# behind, burnout and stress, and saying so ("it's been rough", "I don't have it in me").
HARDSHIP = pattern(
    # loss, said of themselves ("we lost the contract", "we're losing clients", "cost us")
    r"(?:we|i)(?:'ve|'re| have| had| are| were| just| already| been){0,2} (?:lost|losing|lose)",
    r"(?:lost|cost) (?:us|me)", r"went under", r"going under", r"bankrupt\w*", r"shut(?:ting)? "
    r"down", r"clos(?:e|ed|ing) (?:the doors|down|a location|locations)",
    # layoffs and cuts
    r"laid (?:\w+ )?off", r"lay(?:ing)? (?:\w+ )?off", r"layoffs?", r"let (?:\w+ ){1,2}go",
    r"had to let", r"downsiz\w*", r"furlough\w*", r"redundan\w*", r"fired(?! up)",
    r"(?:budget|pay|staff|job) cuts?",
    r"cut(?:ting)? (?:back|staff|jobs|hours|headcount|\w+ people)",
    # being behind or swamped
    r"(?:\w+'re|are|am|is|been|fell|fall\w*|running|get\w*|way|so|weeks|months|days) behind",
    r"behind on", r"backlog\w*", r"underwater", r"drowning", r"swamped", r"slammed",
    r"stretched (?:thin|too thin)", r"short[- ]staffed", r"understaffed",
    # burnout and stress
    r"burn(?:ed|t|ing)? ?out", r"burnout", r"exhaust\w*", r"stress\w*", r"overwhelm\w*",
    r"worn (?:out|down)", r"at (?:my|our) wits'? end", r"can't sleep", r"falling apart",
    # saying it is hard
    r"(?:don't|do not) (?:really )?have (?:it in me|the energy|the bandwidth|the headspace)",
    r"can't (?:deal|handle|think about|face)", r"not (?:doing )?(?:great|good|well)",
    r"rough(?! (?:estimate|idea|number|numbers|draft|guess|cut|sense|figure|order))",
    r"(?:tough|hard|bad|brutal|difficult|terrible|awful) (?:year|month|quarter|week|time|"
    r"stretch|few)", r"been (?:tough|hard|brutal|difficult|a nightmare)", r"struggl\w*",
    r"worried", r"scared", r"nervous", r"passed away", r"died", r"funeral", r"in (?:the )?hospital",
)
# Stock sympathy that fits any call ("so sorry to hear that", "I know exactly how you feel", "I
# appreciate you sharing"): FEEDBACK.md, "scripted phrases alone are not rapport". What a reply
# says beyond these is what shows the rep heard this prospect.
SCRIPTED_EMPATHY = pattern(
    r"(?:i'm |i am )?(?:so |really |very )?sorry to hear (?:that|this|it)",
    r"i (?:totally |completely |really )?(?:know|understand|get) (?:exactly )?how you feel",
    r"i (?:totally |really )?hear you", r"(?:i )?(?:really )?appreciate you sharing(?: that)?",
    r"thank(?:s| you) for sharing(?: that)?", r"(?:these are |it's )?(?:challenging|tough|"
    r"difficult|crazy) times(?: for everyone)?", r"i feel your pain",
    r"(?:i )?(?:totally|completely) (?:understand|get it|get that)", r"felt the same way",
)
