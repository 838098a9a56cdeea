"""Filler words in the rep's speech, counted the way FEEDBACK.md ("Filler words") defines them.

One count per word or fixed phrase, under its canonical name: um, uh, er, ah, hmm, like,
"you know", "i mean", "kind of", "sort of", basically, actually, literally, so. Each candidate is
judged from the tokens and punctuation around it, never from a list of sentences:

- hesitations count in any stretched spelling ("ummm" is um, "erm" is er), except a backchannel
  or interjection ("uh-huh", "mm-hmm", "uh-oh", "Ah, got it", "hmm?" asking for a repeat), an
  acronym or a name ("ER", "Uma", "Hannah Er"), or a word of another language ("um 10 Uhr");
- "like" counts as a hedge (set off by commas), an approximator ("like 40 percent") or a
  sentence-initial filler ("Like, how many"), never as a verb, preposition, conjunction or
  quotative ("I like it", "companies like yours", "Like I said", "he was like, 'no'");
- "you know" counts as a tag or floor-holder (set off by punctuation), not with an object or in
  a question ("you know Priya", "do you know", "as you know");
- "I mean" counts as a restart, not with an object or a meaning ("I mean the Q3 contract",
  "what I mean is", "When I say X, I mean it");
- "kind of" / "sort of" (and "kinda", "sorta") count as hedges, not after a determiner ("a kind
  of", "what sort of");
- "basically" always; "actually", "literally" and "so" only where they carry no meaning;
- a word mentioned rather than used ("you said 'um' a lot") never counts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from pitchlab.analysis.lexicon import (
    AUXILIARIES,
    BE_FORMS,
    DETERMINERS,
    FOREIGN_FUNCTION_WORDS,
    PRONOUN_CONTRACTIONS,
    QUOTES,
    SENTENCE_END,
    count_by_rules,
    hesitation_name,
    is_hesitation,
    is_number,
    is_word,
    tokenize,
)

# --- closed word classes the rules below use ---------------------------------------------------

# "like" is a verb after these ("I like", "would like", "don't like", "really like to")
_LIKE_VERB_BEFORE = (AUXILIARIES - BE_FORMS - {"have", "has", "had"}) | {
    "i", "we", "you", "they", "he", "she", "i'd", "we'd", "you'd", "they'd", "to", "really",
    "also", "not", "never", "always", "still", "genuinely", "definitely",
}
# "like" is a preposition after verbs of perception and indefinite pronouns ("looks like",
# "something like this"): FEEDBACK.md "like as a ... preposition"
_LIKE_PREPOSITION_BEFORE = {
    "look", "looks", "looked", "looking", "sound", "sounds", "sounded", "feel", "feels", "felt",
    "seem", "seems", "seemed", "something", "anything", "nothing", "everything", "just",
    "more", "much", "exactly", "stuff", "things",
}
# words that a hedging "like" modifies when no commas mark it ("it's like really easy")
_HEDGED = {"really", "so", "super", "totally", "literally", "very", "pretty", "always", "never",
           "basically", "actually", "completely", "kinda", "sorta", "kind", "sort", "almost"}
# an approximating "like" may put one of these before the number ("like a hundred", "like every
# five seconds")
_APPROXIMATE_LEAD = {"a", "an", "every", "about", "around", "maybe", "over", "under", "half"}
# a number's preposition before an approximating "like" ("to like sixty", "for like a week")
_APPROXIMATED_AFTER = {"to", "from", "for", "at", "in", "of", "about", "by", "around", "is",
                       "was", "were", "are", "be", "takes", "took", "cost", "costs", "paid"}
# "like I said", "like we discussed": a conjunction before a verb of saying
_SAYING = {"said", "say", "mentioned", "discussed", "told", "talked", "described", "explained",
           "noted", "promised", "agreed"}
# "like a week", "like an hour": an amount without a numeral
_UNITS = {"second", "minute", "hour", "day", "week", "month", "quarter", "year", "dollar",
          "buck", "grand", "percent", "mile", "dozen", "couple", "few"}
_TIME_WORDS = {"next", "last", "tomorrow", "today", "yesterday", "tonight", "now"}
_WH = {"what", "how", "why", "when", "where", "who", "which", "whose", "what's", "how's",
       "where's", "who's", "when's", "why's"}
# the speaker is quoting someone: "they were like, ..." (FEEDBACK.md "quoting speech")
_PERSON_SUBJECTS = {"i", "we", "they", "he", "she", "i'm", "he's", "she's", "they're", "we're"}
_QUOTATIVE_BE = {"was", "were", "is", "are", "am", "'s", "i'm", "he's", "she's", "they're",
                 "we're", "goes", "go", "went"}
# "you know" in a question or with an adverbial lead is knowing, not a filler ("as you know")
_KNOWING_BEFORE = AUXILIARIES | {"if", "as", "whether", "sure", "because", "what", "how", "since",
                                 "unless", "when"}
# openers that do not stop "So" from opening its sentence ("Okay, so, ...")
_DISCOURSE_OPENERS = {"and", "but", "okay", "ok", "right", "well", "yeah", "alright", "oh", "now",
                      "yes", "sure"}
# a following word that makes "actually" contrastive or factual (FEEDBACK.md "Actually, the
# invoice was wrong"): a correction, an answer, or a comparison
_ACTUALLY_CORRECTION = {"no", "yes", "not", "scratch", "wait", "sorry", "never", "correction",
                        "more", "less", "fewer", "cheaper", "lower", "higher", "faster", "slower",
                        "better", "worse", "bigger", "smaller", "quite", "the"}
_NEGATIONS = {"not", "never", "didn't", "don't", "doesn't", "isn't", "aren't", "wasn't",
              "weren't", "won't", "haven't", "hasn't", "hadn't", "can't", "couldn't", "wouldn't"}
_FIRST_PERSON_SUBJECT = {"i", "i'm", "i've", "i'd", "i'll"}
# "literally" meaning word for word: about what a text says, or after reading/taking/translating
_VERBATIM_AFTER = {"says", "said", "say", "reads", "read", "means", "meant", "quote", "quoted",
                   "translates", "translated", "word", "verbatim", "states", "stated", "spells"}
_VERBATIM_BEFORE = {"take", "takes", "took", "taken", "taking", "read", "reads", "reading",
                    "translate", "translated", "translating", "interpret", "interpreted",
                    "quote", "quoted", "mean", "meant", "copy", "copied"}
_MEANING_CUES = {"say", "said", "saying", "by"}  # "When I say X, I mean", "by seats I mean"
# "so that", "so far", "so fast": "so" with a meaning of its own
_SO_RUNS_ON = {"that", "far", "fast", "much", "many", "long", "few", "little", "good", "bad",
               "sure", "glad", "happy", "sorry"}
# how often a mentioned word is said: "I say um a lot", "you said like too much"
_HOW_OFTEN = {"a", "too", "way", "all", "so", "constantly", "every", "again", "twice", "many",
              "more", "less", "non", "nonstop", "throughout", "when", "whenever", "in"}
# words that begin another filler: "actually, literally, sort of, you know" is one stammer
_FILLER_STARTS = {"literally", "actually", "basically", "like", "kind", "sort", "kinda", "sorta",
                  "you", "y'know", "i", "so"}
_RESTART_SUBJECTS = {"i", "we", "they", "he", "she", "there", "you", "it's", "that's"}


@dataclass(frozen=True)
class _Speech:
    """The tokens of one text, original case and lowercase, with the questions rules ask."""

    tokens: tuple[str, ...]
    lower: tuple[str, ...]

    def at(self, i: int) -> str | None:
        return self.lower[i] if 0 <= i < len(self.lower) else None

    def starts_sentence(self, i: int) -> bool:
        return i == 0 or self.lower[i - 1] in SENTENCE_END

    def opens_sentence(self, i: int) -> bool:
        """First word of its sentence, allowing discourse markers and commas before it."""
        j = i - 1
        while j >= 0 and (self.lower[j] in _DISCOURSE_OPENERS or self.lower[j] == ","):
            j -= 1
        return j < 0 or self.lower[j] in SENTENCE_END

    def previous_words(self, i: int, count: int) -> list[str]:
        """Up to ``count`` words before i in its sentence, nearest first, past commas and
        hesitations."""
        found: list[str] = []
        j = i - 1
        while j >= 0 and len(found) < count and self.lower[j] not in SENTENCE_END:
            if is_word(self.lower[j]) and not is_hesitation(self.lower[j]):
                found.append(self.lower[j])
            j -= 1
        return found

    def previous_word(self, i: int) -> str | None:
        words = self.previous_words(i, 1)
        return words[0] if words else None

    def sentence_before(self, i: int) -> list[str]:
        j = i - 1
        while j >= 0 and self.lower[j] not in SENTENCE_END:
            j -= 1
        return list(self.lower[j + 1:i])

    def mentioned(self, i: int, width: int) -> bool:
        """The word is quoted or named as a word ("you said 'um'", "the word basically")."""
        quoted = self.at(i - 1) in QUOTES and self.at(i + width) in QUOTES
        # named as a word, or the object of saying: "the word basically", "I say um a lot"
        # ("I'd say um the biggest win" hesitates: what follows is no amount of it)
        said = self.at(i - 1) in {"say", "says", "said", "saying"} and (
            self.at(i + width) in _HOW_OFTEN)
        return quoted or said or self.at(i - 1) in {"word", "words"}

    def foreign(self, i: int) -> bool:
        """A neighbouring word belongs to another language (German "um 10 Uhr", "er kommt")."""
        near = self.lower[max(0, i - 3):i] + self.lower[i + 1:i + 4]
        # an accented place or person name ("Jyväskylä") is no sign: only function words are
        return any(w in FOREIGN_FUNCTION_WORDS for w in near)


# Each rule looks at the token at i and returns the filler's name and how many tokens it spans,
# or None when the word is not a filler there.
_Found = tuple[str, int] | None


def _hesitation(s: _Speech, i: int) -> _Found:
    token, word = s.tokens[i], s.lower[i]
    if not is_hesitation(word):
        return None
    name = hesitation_name(word)
    if len(token) > 1 and token.isupper():
        return None  # an acronym: "ER staffing", "UM alumni"
    if token[0].isupper() and not s.starts_sentence(i) and is_word(s.at(i - 1)):
        return None  # a capitalized name mid-sentence: "Hannah Er"
    if s.foreign(i) or s.mentioned(i, 1):
        return None
    if _backchannel(s, i, name):
        return None
    return name, 1


def _backchannel(s: _Speech, i: int, name: str) -> bool:
    """ "uh huh", "uh oh", "mm hmm", "hmm?" (asking for a repeat), sentence-initial "Ah, ..." """
    if name == "uh" and s.at(i + 1) in {"huh", "oh"}:
        return True
    if name == "hmm" and (s.at(i + 1) == "?" or s.at(i - 1) in {"mm", "mhm"}):
        return True
    return name == "ah" and s.starts_sentence(i)  # "Ah, got it": an interjection, not a pause


def _like(s: _Speech, i: int) -> _Found:
    if s.lower[i] != "like" or s.mentioned(i, 1) or _quotative_like(s, i):
        return None
    before, after = s.at(i - 1), s.at(i + 1)
    if after == ",":
        return "like", 1  # set off by a comma: "it's, like, easy", "Like, how many"
    after_pause = is_hesitation(before) or before == "so"
    if after in _RESTART_SUBJECTS or after in PRONOUN_CONTRACTIONS:
        # conjunction: "like I said", "like we discussed"; after a pause a filler: "um so like
        # we'd mirror your routes"
        return ("like", 1) if after_pause and s.at(i + 2) not in _SAYING else None
    if _approximates(s, i) and (after_pause or before in _APPROXIMATED_AFTER):
        return "like", 1  # "went from two hundred to like sixty", "um like 40"
    if before in _LIKE_VERB_BEFORE or before in _LIKE_PREPOSITION_BEFORE:
        return None
    if _approximates(s, i):
        return "like", 1
    opening = s.starts_sentence(i) or is_hesitation(before)
    if opening and (after in _WH or after in _TIME_WORDS):
        return "like", 1  # "like what does ...", "like next week"
    if after in _HEDGED and (before in BE_FORMS or before == ","):
        return "like", 1  # "it's like really easy"
    return None


def _quotative_like(s: _Speech, i: int) -> bool:
    """ "they were like, 'no way'", "he's like "finally"": quoting speech, not a filler."""
    before, after = s.at(i - 1), s.at(i + 1)
    if before not in _QUOTATIVE_BE:
        return False
    if after in QUOTES or (after == "," and s.at(i + 2) in QUOTES):
        return True
    subject = s.previous_word(i - 1)
    return after == "," and (subject in _PERSON_SUBJECTS or before in _PERSON_SUBJECTS)


def _approximates(s: _Speech, i: int) -> bool:
    after, then = s.at(i + 1), s.at(i + 2)
    if is_number(after) or (after in _APPROXIMATE_LEAD and is_number(then)):
        return True  # "like 40 percent", "like a hundred bucks", "like every five seconds"
    return after in {"a", "an"} and then in _UNITS  # "like a week"


def _you_know(s: _Speech, i: int) -> _Found:
    word = s.lower[i]
    if word == "y'know":
        width = 1
    elif word in {"you", "ya", "y'"} and s.at(i + 1) == "know":
        width = 2
    else:
        return None
    if s.mentioned(i, width) or s.at(i - 1) in _KNOWING_BEFORE:
        return None
    after = s.at(i + width)
    set_off = (after is None or not is_word(after) or is_hesitation(after)
               or after in {"like", "and", "but", "so", "then", "because"})
    return ("you know", width) if set_off else None  # with an object it is knowing


def _i_mean(s: _Speech, i: int) -> _Found:
    if s.lower[i] != "i" or s.at(i + 1) != "mean" or s.mentioned(i, 2):
        return None
    if s.at(i - 1) == "what" or _MEANING_CUES & set(s.sentence_before(i)):
        return None  # "what I mean is", "by seats I mean", "When I say unlimited, I mean it"
    after = s.at(i + 2)
    restart = (after is None or not is_word(after) or is_hesitation(after)
               or after in _RESTART_SUBJECTS - {"you", "it"} or after in PRONOUN_CONTRACTIONS)
    return ("i mean", 2) if restart else None


def _kind_of(s: _Speech, i: int) -> _Found:
    word = s.lower[i]
    if word in {"kinda", "sorta"}:
        name, width = ("kind of" if word == "kinda" else "sort of"), 1
    elif word in {"kind", "sort"} and s.at(i + 1) == "of":
        name, width = f"{word} of", 2
    else:
        return None
    if s.at(i - 1) in DETERMINERS or s.mentioned(i, width):
        return None  # literal: "a kind of escrow account", "that sort of error"
    return name, width


def _actually(s: _Speech, i: int) -> _Found:
    if s.lower[i] != "actually" or s.mentioned(i, 1):
        return None
    after = s.at(i + 1)
    before = s.previous_words(i, 2)
    if after in _ACTUALLY_CORRECTION or (before and before[0] in _NEGATIONS):
        return None  # correction or fact: "actually no", "didn't actually", "actually cheaper"
    set_off = s.at(i - 1) == "," and after == "," and not s.opens_sentence(i)
    stammer = after == "," and (s.at(i + 2) in _FILLER_STARTS or is_hesitation(s.at(i + 2)))
    # the rep softening their own errand: "I'm actually just calling", "I was, um, actually"
    softener = after == "just" or bool(_FIRST_PERSON_SUBJECT & set(before))
    after_pause = i > 0 and is_hesitation(s.lower[i - 1])
    return ("actually", 1) if set_off or stammer or softener or after_pause else None


def _literally(s: _Speech, i: int) -> _Found:
    if s.lower[i] != "literally" or s.mentioned(i, 1):
        return None
    after = s.at(i + 1)
    if s.at(i - 1) == "," and after == ",":
        return "literally", 1  # set off as a hedge: "and then, literally, overnight"
    if after is None or not is_word(after) or after in _VERBATIM_AFTER:
        return None  # "read it literally.", "the clause literally says ..."
    if _VERBATIM_BEFORE & set(s.sentence_before(i)[-5:]):
        return None  # "don't take the label literally", "we translated the menu literally"
    return "literally", 1


def _so(s: _Speech, i: int) -> _Found:
    if s.lower[i] != "so" or s.opens_sentence(i) or s.mentioned(i, 1):
        return None  # "So" opening a sentence is not counted
    after = s.at(i + 1)
    # an empty "so" is a pause-filler: followed by a comma or a hesitation ("um, so, like");
    # "so that", "so far", "so fast" and "so" meaning "therefore" run straight on
    after_pause = i > 0 and is_hesitation(s.lower[i - 1])
    if after in _SO_RUNS_ON:
        return None
    return ("so", 1) if after == "," or is_hesitation(after) or after_pause else None


def _basically(s: _Speech, i: int) -> _Found:
    return ("basically", 1) if s.lower[i] == "basically" and not s.mentioned(i, 1) else None


_RULES: tuple[Callable[[_Speech, int], _Found], ...] = (
    _hesitation, _like, _you_know, _i_mean, _kind_of, _basically, _actually, _literally, _so,
)


def count_fillers(text: str) -> Counter[str]:
    """Filler words in ``text`` by canonical name (see the module docstring)."""
    tokens = tokenize(text)
    speech = _Speech(tokens, tuple(t.lower() for t in tokens))
    return count_by_rules(len(tokens), [partial(rule, speech) for rule in _RULES])
