"""The people a call names, also when speech-to-text writes their names lowercase.

Two skill rules need names: closing's "who" (FEEDBACK.md, "Skills": "a concrete next step (when,
who, what)": a person beyond the two on the call) and rapport's "names used naturally" (the
prospect's name said in nearly every rep turn is mechanical). A capitalised word in mid-sentence
is a name as written. Speech-to-text often writes names lowercase ("a purchase order from rob"),
and no word list tells "rob" the name from "rob" the verb, so a lowercase word counts as a name
only where its position says it is a person:
- the one greeted ("hi tom", "thanks, priya"): the person on the call, the addressee;
- a third party: a word in a person's slot ("you or rob", "ask karen to", "loop rob in", "rob in
  purchasing", "rob signs") that BOTH speakers say, so one odd phrase does not make a name.
Never a function word, a number or a word of speech such as "there" or "everyone".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pitchlab.analysis.skills.conversation import Conversation, content_words, is_number, stem

# Words that stand where a name could but name nobody ("hi there", "thanks again").
_NOT_A_PERSON = frozenset({
    "there", "everyone", "everybody", "all", "again", "guys", "folks", "team", "both", "much",
    "someone", "somebody", "anyone", "anybody", "nobody", "people", "whoever", "each",
})
_GREETED = re.compile(r"\b(?:hi|hey|hello|morning|afternoon|thanks|thank you),? ([a-z]{3,})\b")
_DEPARTMENT = (r"purchasing|procurement|finance|accounting|accounts|legal|it|ops|operations|hr|"
               r"payroll|sales|marketing|engineering|security|compliance|facilities|admin")
_DECIDING_VERB = r"issues|signs|approves|handles|owns|runs|manages|decides|orders|books|pays"
# A word in a person's slot; group 1 (or 2, ...) is the candidate.
_PERSON_SLOT = re.compile(
    r"\b(?:you|me) (?:or|and) ([a-z]{3,})\b"                      # "you or rob"
    r"|\b([a-z]{3,}) and (?:i|me)\b"                               # "karen and i"
    rf"|\b([a-z]{{3,}}) (?:in|from|over in) (?:the )?(?:{_DEPARTMENT})\b"  # "rob in purchasing"
    r"|\b(?:ask|tell|cc|ping|loop|bring|introduce|invite) ([a-z]{3,}) (?:in|to|on|about|if)\b"
    rf"|(?<!\bthe )(?<!\ba )(?<!\bour )(?<!\byour )\b([a-z]{{3,}}) (?:{_DECIDING_VERB})\b")


def _is_candidate(word: str) -> bool:
    """A word that could be a name: a content word, not a number or a word for people."""
    return (word not in _NOT_A_PERSON and not is_number(word)
            and bool(content_words(word)))


def greeted(conv: Conversation) -> frozenset[str]:
    """The lowercase names the rep greets or thanks: the person on the call."""
    return frozenset(stem(word) for turn in conv.rep for word in _GREETED.findall(turn.lowered)
                     if _is_candidate(word))


def _in_person_slots(texts: Iterable[str]) -> set[str]:
    """The words in a person's slot, stemmed as turns' content words are."""
    return {stem(word) for text in texts for groups in _PERSON_SLOT.findall(text.lower())
            for word in groups if word and _is_candidate(word)}


def third_parties(conv: Conversation) -> dict[str, int]:
    """Lowercase names of people other than the addressee, each with the index of the first
    turn that says it: words in a person's slot that both the rep and the prospect said."""
    slotted = _in_person_slots(turn.text for turn in conv.turns) - greeted(conv)
    said_by_rep = {w for turn in conv.rep for w in turn.content}
    said_by_prospect = {w for turn in conv.prospect for w in turn.content}
    first: dict[str, int] = {}
    for turn in conv.turns:
        for word in slotted & turn.content & said_by_rep & said_by_prospect:
            first.setdefault(word, turn.index)
    return first
