"""Questions the rep asked, counted the way FEEDBACK.md ("Questions") defines them.

One per distinct request for information or for a response, with or without a question mark
(speech-to-text often drops it). A sentence is cut into clauses at commas, semicolons and at
"and"/"but" that start a new question; each clause is judged by its opening words:

- direct questions: a wh-word followed by an auxiliary or a verb ("how many reps are", "who
  handles"), or an auxiliary followed by a subject ("do you", "is the board");
- proposals in question form ("how about", "what if", "why don't we", "want me to");
- information-seeking frames: imperatives ("tell me", "walk me through", "help me understand",
  "describe", "let me know") and indirect questions ("I was wondering", "I'd love to hear",
  "I'm curious"). A frame with nothing of its own before a question ("Tell me, what's ...") is
  one request with it; wh-clauses joined to a frame are requests of their own ("Tell me about X
  and what you'd change" = 2);
- a confirmation tag ("right", "correct", "isn't it", "is that right") after a statement about
  the prospect's facts;
- any other sentence ending in "?" that is not excluded below ("Budget?", "You're in Austin?").

Several requests in one sentence count separately; "or" never starts a new one (an alternative
question counts once). Not questions: wh-clauses in statement order ("What we do is ...", "When you
sign up, ..."), exclamatives ("What a quarter", "How cool"), rhetorical questions (answered by
the rep in the next sentence, or asserting an opinion: "Nobody likes X, right?", "Who has time
for that"), uptalk about the rep's own side ("We're based in Austin?"), reported and
self-addressed questions ("they asked me how ...", "how do I put this"), newsmarks ("Oh,
really?", "Did you?").
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import lru_cache

from pitchlab.analysis.lexicon import (
    AUXILIARIES,
    CLAUSE_BREAK,
    DETERMINERS,
    FIRST_PERSON,
    PRONOUN_CONTRACTIONS,
    SECOND_PERSON,
    SUBJECT_PRONOUNS,
    is_hesitation,
    is_word,
    tokenize,
)
from pitchlab.analysis.text import sentences

_WH = frozenset({"what", "how", "why", "when", "where", "who", "which", "whom", "whose"})
# "what's" = "what is": a wh-word with its auxiliary
_WH_CONTRACTED = frozenset({"what's", "how's", "where's", "who's", "when's", "why's", "what're",
                            "who're", "where're", "how're", "what'd", "who'd", "how'd", "where'd",
                            "what'll", "who'll", "how'll", "when'd", "why'd"})
# "how many/long/often ...": degree words that belong to the wh-phrase
_DEGREE = frozenset({"many", "much", "long", "often", "soon", "far", "big", "old", "large",
                     "small", "frequently", "early", "late", "fast", "quick", "else"})
# words that open a spoken sentence before its real start ("So, um, okay, what ...")
_LEAD_INS = frozenset({"so", "and", "but", "okay", "ok", "well", "now", "then", "also", "right",
                       "alright", "just", "oh", "actually", "first", "quickly", "quick", "yeah",
                       "great", "perfect", "sure", "cool", "gotcha", "plus", "please", "honestly",
                       "anyway", "again", "maybe", "wow", "hey", "look", "listen", "question"})
# the rep reacting, not asking (FEEDBACK.md "newsmarks ('Oh, really?')")
_INTERJECTIONS = frozenset({"oh", "wow", "really", "seriously", "yeah", "yes", "no", "okay", "ok",
                            "huh", "gosh", "interesting", "right", "nice", "great", "cool", "ah",
                            "hmm", "mm", "whoa", "god", "my", "jeez", "man", "sure", "true",
                            "kidding", "way", "exactly", "absolutely", "definitely", "hi", "hello",
                            "hey", "morning", "afternoon", "evening"})
# after an auxiliary these mean a subjectless statement ("Would love to", "Can't wait"), not a
# question's subject
_NOT_A_SUBJECT = frozenset({"love", "like", "be", "have", "say", "need", "want", "wait", "guess",
                            "do", "go", "get", "make", "help", "show", "send", "also", "not",
                            "just", "definitely", "probably", "really", "totally", "absolutely",
                            "been", "to"})
# an auxiliary followed by I/we asks the prospect only in these (permission, proposal)
_PERMISSION = frozenset({"can", "could", "may", "should", "shall", "might", "would", "must"})
# a wh-clause whose next word is one of these is in statement order ("What we do is ...")
_STATEMENT_SUBJECTS = (SUBJECT_PRONOUNS | PRONOUN_CONTRACTIONS | DETERMINERS
                       | {"there", "i'd", "we'd", "you'd", "they'd"}) - {"what", "which"}
# "which" opening a relative clause ("which means your reps ...")
_RELATIVE_WHICH_NEXT = frozenset({"means", "meant", "makes", "made", "gives", "lets", "helps",
                                  "saves", "keeps", "brings", "leads", "explains", "why", "is",
                                  "was", "also", "basically", "would", "will"})

# speech-to-text often drops the apostrophe ("im curious", "whats your budget")
_APOSTROPHE_DROPPED = {
    "im": "i'm", "ive": "i've", "youre": "you're", "youve": "you've", "whats": "what's",
    "hows": "how's", "whos": "who's", "wheres": "where's", "thats": "that's", "theres": "there's",
    "dont": "don't", "doesnt": "doesn't", "didnt": "didn't", "isnt": "isn't", "arent": "aren't",
    "cant": "can't", "wouldnt": "wouldn't", "couldnt": "couldn't", "shouldnt": "shouldn't",
}
# words after which a trailing "right" is an adjective or adverb, not a tag ("that's right")
_RIGHT_NOT_TAG = frozenset({"that's", "is", "you're", "all", "exactly", "alright", "got", "get",
                            "it's", "just", "doing", "do", "turn", "the", "me", "it", "was", "be",
                            "are", "am", "i'm", "we're", "they're", "that", "go", "went", "off",
                            "i", "we", "you", "they", "he", "she"})
# subordinating words: a clause opening with one is not a noun phrase a relative clause follows
_SUBORDINATORS = frozenset({"before", "after", "when", "if", "since", "once", "while", "because",
                            "until", "unless", "as", "though", "although", "so"})

# the pronoun of a tag question ("..., isn't it", "... don't you")
_TAG_SUBJECTS = frozenset({"it", "they", "you", "he", "she", "we", "that", "there"})

_Pattern = tuple[frozenset[str], ...]
_Phrases = dict[str, tuple[_Pattern, ...]]  # by first word: one lookup per clause, not a scan


def _patterns(*phrases: str) -> _Phrases:
    """ "walk|talk me through" -> {walk: [({walk, talk}, {me}, {through})], talk: [...]}"""
    index: dict[str, list[_Pattern]] = {}
    for phrase in phrases:
        pattern = tuple(frozenset(w.split("|")) for w in phrase.split())
        for first in pattern[0]:
            index.setdefault(first, []).append(pattern)
    return {first: tuple(patterns) for first, patterns in index.items()}


# FEEDBACK.md "information-seeking imperatives" (the imperative opens the clause)
_IMPERATIVE_FRAMES = _patterns(
    "tell me|us", "walk|talk|take|run me|us through", "help me|us understand|see|figure",
    "describe", "explain", "share", "give me|us a|an|some", "fill me|us in",
    "paint me|us a", "let me|us know", "remind me|us", "educate me|us", "elaborate", "say more",
)
# FEEDBACK.md "indirect questions" (the rep's own wish to know)
_KNOW = "hear|know|learn|understand|get|see|ask|find"
_INDIRECT_FRAMES = _patterns(
    "i was|am wondering", "i'm wondering", "i wonder", f"i'd love|like to {_KNOW}",
    f"i would love|like to {_KNOW}", f"i want|wanted to {_KNOW}", "i need to understand|know",
    "i'm curious", "i am curious", "curious", "i'd be curious|interested",
    "i would be curious|interested", "i'm interested to", "i am interested to",
    "i was|am hoping you", "i'm hoping you", "i'd love your", "i would love your",
    "if you could|can tell|share|walk|describe|explain|give",
    f"i'm trying to {_KNOW}|figure", f"i am trying to {_KNOW}|figure",
    f"it'd|it'll help|helps to {_KNOW}", f"it would help to {_KNOW}",
    f"it'd|it'll be helpful|useful|great|good to {_KNOW}",
    f"it would be helpful|useful|great|good to {_KNOW}",
)
# elided questions: "(Do you) want me to ...", "(Would you) mind if ...", "(Are there) any ..."
_ELIDED = _patterns("want|wanna|need me|to|us", "mind if",
                    "any questions|thoughts|concerns|other|more|further", "anything else|that",
                    "make sense", "sound|sounds good")
_PROPOSALS = _patterns("how about", "what if", "why don't|not", "how does|would that|this")
# tags asking the prospect to confirm the statement before them
_TAGS = _patterns("right", "correct", "yeah", "yes", "no", "true", "fair", "yep", "okay", "ok",
                  "is|isn't that right|correct|true|fair|accurate", "am i right",
                  "did|have i get|got that right", "isn't|aren't|wasn't|weren't|don't|doesn't|"
                  "didn't|won't|haven't|hasn't|can't|wouldn't|shouldn't it|they|you|he|she|"
                  "we|that|there")
# the rep talking to themself (FEEDBACK.md "self-addressed questions")
_SELF_TALK = _patterns("let me think|see", "what's the word", "where was|were i|we",
                       "how do|should|can i put|say", "what am i")
# an opinion asserted as a question (FEEDBACK.md "asserting an opinion")
_OPINION_WORDS = frozenset({"nobody", "everybody", "everyone", "anybody", "crazy", "amazing",
                            "wild", "insane", "ridiculous", "incredible", "awesome", "frustrating",
                            "annoying", "painful", "pain", "nightmare", "hate", "hates", "love",
                            "loves", "enjoys", "fun", "worst", "best", "great", "nice", "cool"})
# adjectives of evaluation: "what great news" exclaims
_EVALUATIVE = frozenset({"great", "nice", "good", "lovely", "wonderful", "fun", "cool", "amazing",
                         "awesome", "impressive", "terrific", "fantastic", "brilliant", "exciting",
                         "beautiful", "smart", "clever", "perfect", "incredible", "excellent"})
_OPINION_WHO = frozenset({"wants", "likes", "has", "needs", "enjoys", "loves", "doesn't", "would",
                          "knows", "cares"})
# reported speech or a voiced objection: "they asked me how ...", "you're probably thinking"
_REPORTING = frozenset({"asked", "ask", "asks", "asking", "wondered", "wonders", "wondering",
                        "thinking", "know"})
_REPORTED_BY_SELF = frozenset({"can", "could", "may"})  # "can I ask": permission, not a report
# the rep answering their own question in the next sentence
_ANSWER_OPENERS = frozenset({"because", "cause", "it", "it's", "that's", "we", "we're", "we've",
                             "we'll", "there", "there's", "this", "simple", "easy", "nothing"})
# "Did you?", "Is it?", "Have they?": an echo of the prospect's news (modals propose instead)
_ECHO_AUXILIARIES = frozenset({"do", "does", "did", "is", "are", "was", "were", "have", "has",
                               "had", "am"})
_SELF_OR_POINT = frozenset({"we", "i", "it", "this", "that", "these", "those", "there"})
_YES_NO_ANSWERS = frozenset({"yes", "no", "nope", "yep", "absolutely", "not", "of"})
_OPEN_WH = frozenset({"what", "how", "why", "what's", "how's", "why's"})


class _Kind(enum.Enum):
    QUESTION = "question"
    FRAME = "frame"  # an information-seeking frame with its own content
    EMPTY_FRAME = "empty frame"  # "Tell me," / "I'd love to hear," before the question
    TAG = "tag"
    STATEMENT = "statement"
    ECHO = "echo"  # "Did you?": a newsmark opening the rep's turn, a question after their own
    EXCLAMATIVE = "exclamative"  # "What a quarter": a request only where a frame governs it
    VETO = "veto"  # rhetorical, self-addressed, reported: the sentence asks nothing


@dataclass(frozen=True)
class _Clause:
    core: tuple[str, ...]  # the words after the lead-ins
    joined: str | None  # "and", "but", "or", "," or None for the first clause
    kind: _Kind
    wh_led: bool  # opens with a wh-word (a request when a frame governs it)


def _matches(words: tuple[str, ...], pattern: _Pattern, at: int = 0) -> bool:
    return len(words) >= at + len(pattern) and all(
        words[at + k] in options for k, options in enumerate(pattern))


def _match_any(words: tuple[str, ...], phrases: _Phrases) -> int:
    """The length of the first phrase that opens ``words``, or 0."""
    for pattern in phrases.get(words[0], ()) if words else ():
        if _matches(words, pattern):
            return len(pattern)
    return 0


def _strip_lead_ins(words: tuple[str, ...]) -> tuple[str, ...]:
    start = 0
    while start < len(words) - 1 and (words[start] in _LEAD_INS or is_hesitation(words[start])):
        start += 1
    if start == len(words) - 1 and is_hesitation(words[start]):
        start += 1
    return words[start:]


# --- clauses -------------------------------------------------------------------------------

def _split_clauses(tokens: tuple[str, ...]) -> list[tuple[str | None, tuple[str, ...]]]:
    """Cut a sentence at commas/semicolons and at "and"/"but" that open a new question."""
    pieces: list[tuple[str | None, tuple[str, ...]]] = []
    joined: str | None = None
    current: list[str] = []
    for k, token in enumerate(tokens):
        if token in CLAUSE_BREAK:
            if current:
                pieces.append((joined, tuple(current)))
            joined, current = ",", []
        elif not is_word(token):
            continue
        elif token in {"and", "but"} and current and _opens_question(tokens[k + 1:]):
            pieces.append((joined, tuple(current)))
            joined, current = token, []
        else:
            current.append(token)
    if len(current) > 2 and current[-1] in {"right", "correct"} and (
            current[-2] not in _RIGHT_NOT_TAG):
        pieces.append((joined, tuple(current[:-1])))  # "you've got forty reps right"
        joined, current = ",", current[-1:]
    if len(current) > 3 and current[-2].endswith("n't") and current[-1] in _TAG_SUBJECTS and (
            current[0] not in AUXILIARIES):
        pieces.append((joined, tuple(current[:-2])))  # "the renewal's in march isn't it"
        joined, current = ",", current[-2:]
    if current:
        pieces.append((joined, tuple(current)))
    return pieces


def _opens_question(rest: tuple[str, ...]) -> bool:
    words = _strip_lead_ins(tuple(t for t in rest if is_word(t)))
    if not words:
        return False
    first = words[0]
    if first in _WH_CONTRACTED or (first in _WH and first not in {"when", "which"}):
        return True
    if first in {"when", "which"}:  # "and when does it end", not "and when the invoice comes"
        return len(words) > 1 and words[1] in AUXILIARIES
    return len(words) > 1 and first in AUXILIARIES and words[1] not in _NOT_A_SUBJECT


def _classify(core: tuple[str, ...], asked: bool, alone: bool) -> _Kind:
    """One clause's kind from its opening words; ``asked``: the sentence ends with "?";
    ``alone``: the clause is the whole sentence."""
    if not core:
        return _Kind.STATEMENT
    if _match_any(core, _TAGS) == len(core):
        return _Kind.TAG
    if _match_any(core, _SELF_TALK):
        return _Kind.VETO
    frame = _match_any(core, _IMPERATIVE_FRAMES) or _indirect_frame(core)
    if frame:
        content = [w for w in core[frame:] if w not in {"it", "this", "that", "more", "honestly",
                                                        "quickly", "briefly", "please", "again"}]
        return _Kind.FRAME if content else _Kind.EMPTY_FRAME
    if _match_any(core, _PROPOSALS) or _match_any(core, _ELIDED):
        return _Kind.QUESTION
    first = core[0]
    if first in _WH or first in _WH_CONTRACTED:
        return _wh_clause(core, asked, alone)
    if first in AUXILIARIES and len(core) > 1 and core[1] not in _NOT_A_SUBJECT:
        if first == "have" and core[1] in {"a", "an", "some", "fun"}:
            return _Kind.STATEMENT  # an imperative: "Have a great weekend"
        return _yes_no_clause(core)
    return _Kind.STATEMENT


def _indirect_frame(core: tuple[str, ...]) -> int:
    """ "I was wondering ...", "I'd love to hear ..."; "I wonder" only about the prospect."""
    length = _match_any(core, _INDIRECT_FRAMES)
    if length and core[:2] == ("i", "wonder") and not SECOND_PERSON & set(core):
        return 0  # musing, not addressed to the prospect ("I wonder if we'll get snow")
    return length


def _wh_clause(core: tuple[str, ...], asked: bool, alone: bool) -> _Kind:
    first, rest = core[0], core[1:]
    if first in _WH_CONTRACTED:
        # a pseudo-cleft: "What's great is that ...", "what's nice about it is ..."
        if len(rest) > 1 and (rest[1] in {"is", "was"} or (rest[1] == "about" and "is" in rest)):
            return _Kind.STATEMENT
        return _direct(core)
    # "Who else?" asks; "What else, um, oh, the app ..." is the rep thinking aloud
    if not rest or (all(w in _DEGREE for w in rest)):
        return _Kind.QUESTION if asked or alone else _Kind.STATEMENT
    if _exclamative(first, rest[0]):
        return _Kind.EXCLAMATIVE
    if first == "which" and rest[0] in _RELATIVE_WHICH_NEXT and not asked:
        return _Kind.STATEMENT  # relative clause: "Which means your reps ..."
    return _wh_word_order(first, rest, core)


def _exclamative(first: str, nxt: str) -> bool:
    """ "What a great quarter", "What great news", "How lovely", "How cool is that"."""
    if first == "what":
        return nxt in {"a", "an"} or nxt in _EVALUATIVE
    if first != "how":
        return False
    degree = nxt in _DEGREE or nxt.endswith("ly") or nxt in {"come", "so"}  # "how often"
    return nxt in _EVALUATIVE or not (degree or nxt in AUXILIARIES or nxt in _STATEMENT_SUBJECTS)


def _wh_word_order(first: str, rest: tuple[str, ...], core: tuple[str, ...]) -> _Kind:
    """Inverted ("what CRM are you on") or wh-subject ("who handles payroll") is a question;
    statement order ("What we do is", "When the invoice comes in") is not."""
    while rest and rest[0] in _DEGREE:
        rest = rest[1:]
    if not rest:
        return _Kind.QUESTION  # "Who else?" ("What else, um, ..." is caught before)
    if rest[0] in AUXILIARIES or rest[0] in _WH_CONTRACTED:
        return _direct(core)  # inverted: "how long does", "who else should"
    if rest[0] in _STATEMENT_SUBJECTS or first in {"when", "where", "why"}:
        return _Kind.STATEMENT  # statement order: "What we do is", "When the invoice comes in"
    for word in rest[1:3]:  # "what CRM are you" vs "which ERP we integrate with"
        if word in AUXILIARIES:
            return _direct(core)
        if word in {"i", "we", "they", "he", "she"} or word in PRONOUN_CONTRACTIONS:
            return _Kind.STATEMENT  # "you"/"it" may be objects: "who maintains it"
        if word in _SUBORDINATORS or word in {"that", "to"}:
            break
    return _direct(core)  # the wh-word is the subject: "who handles payroll", "what happens"


def _yes_no_clause(core: tuple[str, ...]) -> _Kind:
    aux = core[0]
    echo = len(core) <= 3 and set(core[1:]) <= (SUBJECT_PRONOUNS | {"that", "really", "so", "now"})
    if echo and aux.removesuffix("n't") in _ECHO_AUXILIARIES:
        return _Kind.ECHO  # "Did you?", "Is it?", "Are they really?"
    return _direct(core)  # "Am I missing anything?" asks the prospect: only wh-questions muse


def _self_addressed(aux: str, subject: str, core: tuple[str, ...]) -> bool:
    """A wh-question to the rep's own memory: "I" with an auxiliary other than permission ("how
    do I put this"), "we" about the past ("what did we charge"); never when "you" is in it.
    "What are we solving for" and "what should we ..." include the prospect."""
    if SECOND_PERSON & set(core):
        return False
    if subject == "i":
        return aux not in _PERMISSION
    return subject == "we" and aux in {"did", "didn't", "was", "were", "had"}


def _opinion_who(rest: tuple[str, ...]) -> bool:
    """ "who" asserting that nobody would: "Who has time for that", "Who wants to pay more",
    "Who knows?", "Who doesn't love ..."; not "who has the final say", "who needs to sign"."""
    if not rest or rest[0] not in _OPINION_WHO:
        return False
    verb, objects = rest[0], rest[1:]
    if verb in {"knows", "cares"}:
        return not objects
    if verb == "has":
        return bool({"time", "patience", "energy"} & set(objects[:2]))
    if verb == "needs":
        return bool(objects) and objects[0] != "to"  # "Who needs spreadsheets"
    if verb == "would":
        return bool(objects) and objects[0] in {"want", "like", "pay", "choose"}
    return True  # wants, likes, enjoys, loves, doesn't


def _direct(core: tuple[str, ...]) -> _Kind:
    """A direct question, unless it asserts an opinion or talks to the rep's own memory."""
    words = set(core)
    negative_aux = core[0].endswith("n't") or (len(core) > 1 and core[1].endswith("n't"))
    if negative_aux and words & _OPINION_WORDS:
        return _Kind.VETO  # "Isn't it crazy how ...", "Don't you hate ..."
    if core[0] == "who" and _opinion_who(core[1:]) and not words & SECOND_PERSON:
        return _Kind.VETO  # "Who has time to ...", "Who wants to pay for ...", "Who knows"
    if core[0] == "why" and {"anyone", "anybody"} & set(core[2:4]):
        return _Kind.VETO  # "Why would anyone do that by hand?"
    if core[0] in _WH and len(core) > 2 and _self_addressed(core[1], core[2], core):
        return _Kind.VETO  # self-addressed: "How do I put this", "What did we charge"
    return _Kind.QUESTION


def _clauses(tokens: tuple[str, ...]) -> list[_Clause]:
    asked = bool(tokens) and tokens[-1] == "?"
    lower = tuple(_APOSTROPHE_DROPPED.get(t.lower(), t.lower()) for t in tokens)
    pieces = _split_clauses(lower)
    out = []
    for joined, words in pieces:
        core = _strip_lead_ins(words)
        first = core[0] if core else ""
        wh_led = first in _WH_CONTRACTED or first in _WH | {"whether"}
        out.append(_Clause(core, joined, _classify(core, asked, len(pieces) == 1), wh_led))
    return out


# --- a sentence ----------------------------------------------------------------------------

def _requests(tokens: tuple[str, ...], opens_text: bool) -> int:
    """How many requests one sentence makes (0 when it asks nothing of the prospect)."""
    if not tokens or tokens[-1] == "!":
        return 0  # an exclamation: "What a great quarter!", "How cool is that!"
    clauses = _clauses(tokens)
    if any(c.kind is _Kind.VETO for c in clauses) or _reported(clauses):
        return 0
    if all(c.kind is _Kind.TAG for c in clauses):
        return _lone_tag(clauses, opens_text, asked=tokens[-1] == "?")
    if opens_text and any(c.kind is _Kind.ECHO for c in clauses):
        return 0  # a newsmark: "Oh, did you?" answering the prospect's news
    count = _count_clauses(clauses)
    if count == 0 and tokens[-1] == "?" and not _tag_decided(clauses):
        return _bare_question_mark(clauses)
    return count


def _count_clauses(clauses: list[_Clause]) -> int:
    count, in_frame, pending_frame, stated = 0, False, False, False
    previous: _Clause | None = None
    for clause in clauses:
        governed = in_frame and clause.wh_led and not _subordinate(clause)
        if clause.kind is _Kind.EXCLAMATIVE and not governed:
            pass
        elif clause.kind is _Kind.QUESTION and _relative(clause, previous, in_frame):
            stated = True
        elif clause.kind in (_Kind.QUESTION, _Kind.ECHO) or governed:
            count += 1
            pending_frame, stated = False, False
            in_frame = in_frame or bool(_frame_inside(clause.core))
        elif clause.kind is _Kind.FRAME:
            count += 1
            in_frame, pending_frame, stated = True, False, False
        elif clause.kind is _Kind.EMPTY_FRAME:
            in_frame, pending_frame = True, True
        elif clause.kind is _Kind.TAG:
            if stated and _confirms_prospect_fact(clauses):
                count += 1
            stated = False
        elif clause.joined == "or" or (clause.core and clause.core[0] == "or"):
            pass  # the other half of an alternative question counts once
        else:
            stated = stated or len(clause.core) > 1 or (
                bool(clause.core) and clause.core[0] not in _INTERJECTIONS)
        previous = clause
    return count + int(pending_frame)  # "Tell me more." with nothing after it


def _tag_decided(clauses: list[_Clause]) -> bool:
    """A tag after a statement was judged by the tag rule (an opinion tag asks nothing)."""
    return clauses[-1].kind is _Kind.TAG and any(c.kind is _Kind.STATEMENT for c in clauses)


def _subordinate(clause: _Clause) -> bool:
    """ "when ..." and "if ..." under a frame are conditions, not requests."""
    return clause.core[0] == "when" and not (len(clause.core) > 1
                                             and clause.core[1] in AUXILIARIES)


def _relative(clause: _Clause, previous: _Clause | None, in_frame: bool) -> bool:
    """ ", who signs off," after a noun phrase that asked nothing: a relative clause."""
    if in_frame or clause.joined != "," or previous is None:
        return False
    relative_word = clause.core[0] in {"who", "which", "where", "whose", "whom"}
    asks_more = len(clause.core) > 1 and clause.core[1] == "else"  # "who else ..."
    after_noun = (bool(previous.core) and previous.core[0] not in _SUBORDINATORS
                  and previous.core[-1] not in SUBJECT_PRONOUNS | {"me", "us", "him", "them"})
    return relative_word and not asks_more and after_noun and previous.kind is _Kind.STATEMENT


def _frame_inside(core: tuple[str, ...]) -> bool:
    """A question that carries a frame ("Can you tell me X and Y") governs the clauses after."""
    return any(_match_any(core[k:], _IMPERATIVE_FRAMES) for k in range(1, min(len(core), 4)))


def _confirms_prospect_fact(clauses: list[_Clause]) -> bool:
    """A tag counts after a statement about the prospect's facts, not after an opinion or a
    statement about the rep's own side (FEEDBACK.md "confirmation tags", "rhetorical")."""
    stated = [w for c in clauses if c.kind is not _Kind.TAG for w in c.core]
    if set(stated) & _OPINION_WORDS:
        return False
    mentions_prospect = bool(set(stated) & SECOND_PERSON)
    rep_side = bool(stated) and stated[0] in FIRST_PERSON | {"it", "it's"}
    return mentions_prospect or not rep_side


def _reported(clauses: list[_Clause]) -> bool:
    """A statement reports someone's question ("they asked me how", "you're probably thinking"),
    so its wh-clauses are not the rep's requests."""
    return any(clause.kind is _Kind.STATEMENT and _reports(clause.core) for clause in clauses)


def _reports(core: tuple[str, ...]) -> bool:
    for k, word in enumerate(core):
        if word not in _REPORTING or k == 0:
            continue
        before = core[max(0, k - 3):k]
        if set(before) & (FIRST_PERSON | _REPORTED_BY_SELF):
            continue  # the rep's own asking or thinking ("I'm asking because", "we were thinking")
        if word == "know" and not (len(before) >= 2 and before[-1] == "to"
                                   and before[-2] in {"wanted", "wants", "want", "needed"}):
            continue  # only "wanted to know" reports ("you know", "good to know" do not)
        return True
    return False


def _bare_question_mark(clauses: list[_Clause]) -> int:
    """A sentence that only a "?" marks as a question: a fragment asking for a response
    ("Budget?", "And the timeline?"), a check of the prospect's facts ("You're in Austin?"), or
    not: a newsmark ("Oh, really?"), uptalk about the rep's side ("We're based in Austin?")."""
    words = [w for c in clauses for w in c.core if not is_hesitation(w)]
    content = [w for w in words if w not in _INTERJECTIONS and w not in _LEAD_INS]
    if not content:
        return 0
    if content[0] in FIRST_PERSON:
        return 0  # uptalk: "We're based in Austin?", "I'm calling about ...?"
    if len(content) <= 3 and content[0] in SUBJECT_PRONOUNS and content[1:2] and (
            content[1].removesuffix("n't") in _ECHO_AUXILIARIES):
        return 0  # a newsmark in statement order: "You did?", "They are?"
    if content[0] in {"it", "it's", "this", "that", "that's", "there"}:
        return int(bool(set(content) & SECOND_PERSON))
    return 1


def _lone_tag(clauses: list[_Clause], opens_text: bool, asked: bool) -> int:
    """A tag said on its own: "Fair?", "Am I right?" ask the prospect to agree; "Right?",
    "Yeah?" react; "Is that right?" opening the rep's turn is a newsmark (FEEDBACK.md), after
    the rep's own summary it asks for confirmation."""
    words = [w for c in clauses for w in c.core]
    if len(words) == 1:
        return int(asked and words[0] in {"fair", "okay", "ok", "correct"})
    if words[:2] == ["is", "that"] or words[:2] == ["isn't", "that"]:
        return 0 if opens_text else 1
    return 1


def _rhetorical(question: tuple[str, ...], following: tuple[str, ...]) -> bool:
    """The rep answers their own question in the next sentence ("Why does this matter? Because
    ..."): a question about the rep's side or the point just made ("we", "this", "that"), or a
    bare fragment ("And the best part?"), followed by its answer. A question about the prospect's
    side ("How do your managers coach? We ...") stays a question."""
    core = _strip_lead_ins(tuple(t.lower() for t in question if is_word(t)))
    answer = _strip_lead_ins(tuple(t.lower() for t in following if is_word(t)))
    if not core or not answer:
        return False
    if core[0] not in AUXILIARIES and _answer_fragment(following):
        # "What does that mean for your techs? Fewer trips back to the shop." (after a yes/no
        # question "No pressure." softens the ask, it does not answer it)
        return True
    if set(core[:5]) & SECOND_PERSON:
        return False
    if answer[0] in {"because", "cause"} and core[0] not in AUXILIARIES:
        return True  # "Why does speed matter? Because ..."
    first = core[0]
    if first in AUXILIARIES or first in _WH_CONTRACTED:
        subject = core[1] if len(core) > 1 else ""
    elif first in _WH:
        subject = core[2] if len(core) > 2 and core[1] in AUXILIARIES else ""
    else:
        return answer[0] in _ANSWER_OPENERS  # a fragment: "And the best part? It's included."
    if subject not in _SELF_OR_POINT:
        return False
    return answer[0] in (_YES_NO_ANSWERS if first in AUXILIARIES else _ANSWER_OPENERS)


def _answer_fragment(following: tuple[str, ...]) -> bool:
    """A short noun phrase right after a question is the rep's own answer ("No setup fee.",
    "Fewer trips back to the shop.", "Two weeks."), unless it narrows the question ("Just the
    sales side.", "Roughly.") or asks again ("The CFO or the COO?")."""
    said = tuple(t.lower() for t in following if is_word(t))
    if not said or following[-1] == "?" or len(said) > 8:
        return False
    has_verb = any(w in AUXILIARIES or w in SUBJECT_PRONOUNS or w in PRONOUN_CONTRACTIONS
                   for w in said)
    return not has_verb and (said[0] in _AMOUNT_OPENERS or said[0].isdigit())


# how an answer's noun phrase opens: "No setup fee", "Fewer trips", "Two weeks", "Zero"
_AMOUNT_OPENERS = frozenset({"no", "zero", "none", "fewer", "more", "less", "lower", "higher",
                             "faster", "one", "two", "three", "four", "five", "ten", "half",
                             "twice", "double", "every", "all", "nothing", "free"})


def questions_in(text: str) -> list[str]:
    """One entry per request (a sentence asking two things appears twice); see the module doc."""
    said = sentences(text)
    tokens = [tokenize(s) for s in said]
    counts = [_requests(t, opens_text=(k == 0)) for k, t in enumerate(tokens)]
    for k in range(len(said) - 1):
        if counts[k] and not counts[k + 1] and _rhetorical(tokens[k], tokens[k + 1]):
            counts[k] = 0
    return [s for s, n in zip(said, counts, strict=True) for _ in range(n)]


@lru_cache(maxsize=4096)  # the metrics and the scorer ask about the same sentences
def is_question(sentence: str) -> bool:
    return _requests(tokenize(sentence), opens_text=True) > 0


def is_open_question(sentence: str) -> bool:
    """A question the prospect answers in their own words: a what/how/why question or an
    information-seeking frame, wherever it starts ("When an inspector shows up, how do you ...",
    "So Priya, what made you ..."). Proposals ("how about", "what if") do not open."""
    if not is_question(sentence):
        return False
    return any(_opens_up(clause) for clause in _clauses(tokenize(sentence)))


def _opens_up(clause: _Clause) -> bool:
    if clause.kind in (_Kind.FRAME, _Kind.EMPTY_FRAME):
        return True
    core = clause.core
    return (clause.kind is _Kind.QUESTION and core[0] in _OPEN_WH
            and not _match_any(core, _PROPOSALS))
