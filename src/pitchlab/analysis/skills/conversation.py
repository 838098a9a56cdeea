"""The conversation as the skill rules read it: each stored turn with its sentences, content
words, numbers and questions worked out once, and who spoke just before whom.

The rules judge what happened between the two people (FEEDBACK.md, "Skills": "judged from what
happened in the conversation, not from words the rep used"), so most of them compare a rep turn
with the prospect's turn(s) just before it: which of the prospect's content words and numbers the
rep took up. Content words are the words that carry the topic (not function words, not the
small talk of any call), lightly stemmed so "rooms" echoes "room".
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from pitchlab.analysis.questions import is_open_question, is_question
from pitchlab.analysis.sentiment import word_valences
from pitchlab.analysis.text import sentences, words
from pitchlab.models.values import Turn


def _word_set(block: str) -> frozenset[str]:
    return frozenset(block.split())


# Words that carry no topic of their own: echoing them is not listening.
_FUNCTION_WORDS = _word_set("""
a about above after again against all also am an and any are aren't as at be because been before
being below between both but by can can't cannot could couldn't did didn't do does doesn't doing
don't down during each few for from further had hadn't has hasn't have haven't having he he'd
he'll he's her here here's hers herself him himself his how how's i i'd i'll i'm i've if in into
is isn't it it's its itself let's me more most mustn't my myself no nor not of off on once only
or other ought our ours ourselves out over own same shan't she she'd she'll she's should
shouldn't so some such than that that's the their theirs them themselves then there there's these
they they'd they'll they're they've this those through to too under until up very was wasn't we
we'd we'll we're we've were weren't what what's when when's where where's which while who who's
whom why why's with won't would wouldn't you you'd you'll you're you've your yours yourself
yourselves yes yeah yep okay ok oh uh um hmm right well just like really actually basically
sure thanks thank hi hello hey great good get got go going know think mean kind sort thing
things lot lots way much many maybe also still even now today something anything everything
one ones said say says tell want would will can make made see look let day bit little
""")

_NUMBER_WORDS = _word_set("""
two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen
seventeen eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred
thousand million billion half third quarter percent dozen grand k
""")


@lru_cache(maxsize=8192)  # per word of the vocabulary: a few hundred KB at most
def stem(word: str) -> str:
    """A light stem: plural and possessive endings, so "rooms" and "room's" match "room"."""
    if word.endswith("'s"):
        word = word[:-2]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


Said = tuple[frozenset[str], frozenset[str]]  # (content words, numbers)


def content_and_numbers(text: str) -> Said:
    """The topic words of ``text`` (no function words, no numbers, three letters or more,
    stemmed) and its numbers (digits or number words, as spoken), in one pass."""
    content: set[str] = set()
    numbers: set[str] = set()
    for word in words(text):
        if is_number(word):
            numbers.add(word)
        elif len(word) > 2 and word not in _FUNCTION_WORDS:
            content.add(stem(word))
    return frozenset(content), frozenset(numbers)


def content_words(text: str) -> frozenset[str]:
    return content_and_numbers(text)[0]


def is_number(word: str) -> bool:
    return word[:1].isdigit() or word in _NUMBER_WORDS


def numbers_in(text: str) -> frozenset[str]:
    return content_and_numbers(text)[1]


# A question that asks for an account, not a yes/no or a count: a wh-word anywhere in it ("when
# the board breaks, what happens"), except the counting "how many / how much".
_ASKS_FOR_AN_ACCOUNT = re.compile(r"\b(?:what|why|who|where|which|how(?! (?:many|much|long|"
                                  r"often)\b))\b", re.IGNORECASE)


def is_open(question: str) -> bool:
    """Open (FEEDBACK.md: "open, layered questions"): questions.is_open_question, or a question
    asking for an account wherever its wh-word stands."""
    return bool(_ASKS_FOR_AN_ACCOUNT.search(question)) or is_open_question(question)


_NEGATORS = frozenset({"not", "no", "never", "don't", "doesn't", "didn't", "isn't", "wasn't",
                       "aren't", "can't", "won't", "nothing", "nobody", "without"})


def valence(text: str) -> float:
    """A quick VADER-like polarity (-1..1): the VADER lexicon's word valences summed, flipped
    after a negator, normalised as VADER does. Full VADER re-scans the text for every word; the
    rules only need the sign and rough size of a turn's mood, for every prospect turn."""
    lexicon = word_valences()
    total, tokens = 0.0, words(text)
    for position, word in enumerate(tokens):
        score = lexicon.get(word)
        if score is None:
            continue
        negated = any(t in _NEGATORS for t in tokens[max(0, position - 3):position])
        total += -0.74 * score if negated else score
    return total / math.sqrt(total * total + 15) if total else 0.0


@dataclass(frozen=True)
class Utterance:
    """One stored turn, with what the rules read from it worked out once."""

    index: int
    speaker: str
    text: str
    start_ms: int
    end_ms: int

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        return sentences(self.text)

    @cached_property
    def _said(self) -> Said:
        return content_and_numbers(self.text)

    @property
    def content(self) -> frozenset[str]:
        return self._said[0]

    @property
    def numbers(self) -> frozenset[str]:
        return self._said[1]

    def said_in(self, sentence: str) -> Said:
        """The content words and numbers of one of this turn's sentences. Not kept: a 60-minute
        call has thousands of sentences, and short-lived sets cost the garbage collector
        nothing."""
        return content_and_numbers(sentence)

    @cached_property
    def questions(self) -> tuple[str, ...]:
        return tuple(s for s in self.sentences if is_question(s))

    @cached_property
    def open_questions(self) -> frozenset[str]:
        """This turn's open questions (see ``is_open``), worked out once."""
        return frozenset(q for q in self.questions if is_open(q))

    @cached_property
    def sentiment(self) -> float:
        return valence(self.text)

    @property
    def is_rep(self) -> bool:
        return self.speaker == "rep"

    @property
    def lowered(self) -> str:
        return self.text.lower()


class Conversation:
    """The stored turns in call order, with the look-ups the skill rules share."""

    def __init__(self, turns: Sequence[Turn]) -> None:
        self.turns = tuple(
            Utterance(i, str(t["speaker"]), t["text"], t["start_ms"], t["end_ms"])
            for i, t in enumerate(turns))
        self.rep = tuple(u for u in self.turns if u.is_rep and words(u.text))
        self.prospect = tuple(u for u in self.turns if not u.is_rep and words(u.text))

    @property
    def ended_in_opening(self) -> bool:
        """The call ended before it began: the rep spoke fewer than twice, or the prospect
        never spoke. Such a call gave no occasion for discovery, rapport, value or a close
        (FEEDBACK.md: not observed, never a low score)."""
        return len(self.rep) < 2 or not self.prospect

    def prospect_just_before(self, index: int) -> tuple[Utterance, ...]:
        """The prospect's turns the rep turn at ``index`` answers: the run of prospect turns
        before it (speech-to-text splits one answer into several turns)."""
        run: list[Utterance] = []
        position = index - 1
        while position >= 0 and self.turns[position].is_rep:
            position -= 1  # the rep's own earlier turns of the same run
        while position >= 0 and not self.turns[position].is_rep:
            run.insert(0, self.turns[position])
            position -= 1
        return tuple(run)

    def prospect_after(self, index: int, limit: int = 2) -> tuple[Utterance, ...]:
        """The prospect's next ``limit`` turns after ``index`` (their reaction)."""
        first = bisect_right(self._prospect_indices, index)
        return self.prospect[first:first + limit]

    @cached_property
    def _prospect_indices(self) -> list[int]:
        return [u.index for u in self.prospect]

    def rep_after(self, index: int) -> Iterator[Utterance]:
        return (u for u in self.rep if u.index > index)

    def prospect_content_until(self, index: int) -> frozenset[str]:
        """Every content word the prospect said before ``index``: their own words."""
        return frozenset(w for w, first in self._prospect_first_said[0].items() if first < index)

    def prospect_numbers_until(self, index: int) -> frozenset[str]:
        """Every number the prospect said before ``index``."""
        return frozenset(n for n, first in self._prospect_first_said[1].items() if first < index)

    @cached_property
    def _prospect_first_said(self) -> tuple[dict[str, int], dict[str, int]]:
        """Where the prospect first said each content word and each number (turn index)."""
        content: dict[str, int] = {}
        numbers: dict[str, int] = {}
        for turn in self.prospect:
            for word in turn.content:
                content.setdefault(word, turn.index)
            for number in turn.numbers:
                numbers.setdefault(number, turn.index)
        return content, numbers


def echoed(rep: str | Utterance | Said, prospect: Sequence[Utterance]) -> frozenset[str]:
    """The prospect's content words (and numbers) that the rep's sentence (as text or as its
    words) or turn takes up."""
    theirs = frozenset().union(*(u.content | u.numbers for u in prospect))
    if isinstance(rep, Utterance):
        content, numbers = rep.content, rep.numbers
    elif isinstance(rep, str):
        content, numbers = content_and_numbers(rep)
    else:
        content, numbers = rep
    return (content | numbers) & theirs
