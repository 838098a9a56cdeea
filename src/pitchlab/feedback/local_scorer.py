"""The local scorer: deterministic rules over the analytics and the transcript, used when no
OpenAI key is available (or the model fails). Same input, same scores.

Each skill gets 1-5 and evidence quoted verbatim from the rep's own sentences:
- discovery: questions asked (0 -> 1, 1-2 -> 2, 3-5 -> 3, 6-10 -> 4, 11+ -> 5), one point less
  when none of them was open (what/how/why, "tell me");
- objection_handling: of the prospect's objections, the share the rep answered by first
  acknowledging them (0 -> 1, under a third -> 2, under two thirds -> 3, most -> 4, all -> 5);
  a call without objections scores 3 ("not tested");
- rapport: 1 plus a point each for a greeting or thanks, acknowledging the prospect, a talk
  share between 30% and 60%, and a warm tone (VADER > 0.2);
- value_articulation: sentences that tie the offer to an outcome (save, reduce, increase,
  faster, revenue, "which means", "so you can"...): 0 -> 1, 1 -> 2, 2 -> 3, 3-4 -> 4, 5+ -> 5;
- closing: asking for a concrete next step with a time (5), asking for one (4), proposing one
  (3), only offering to send information or follow up (2), nothing (1).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pitchlab.analysis.metrics import segments
from pitchlab.analysis.questions import is_open_question, is_question
from pitchlab.analysis.text import sentences, words

RUBRIC_VERSION = "local-2026-11-v1"
SKILLS = ("discovery", "objection_handling", "rapport", "value_articulation", "closing")

@dataclass(frozen=True)
class Said:
    """A sentence with what the rules look at, worked out once."""

    text: str
    lowered: str
    words: frozenset[str]

    @classmethod
    def of(cls, text: str) -> Said:
        return cls(text, text.lower(), frozenset(words(text)))


@dataclass(frozen=True)
class Cue:
    """Single words (matched as whole words) and phrases (matched inside the sentence)."""

    single: frozenset[str]
    phrases: tuple[str, ...] = ()

    def __call__(self, said: Said) -> bool:
        return not self.single.isdisjoint(said.words) or any(p in said.lowered for p in self.phrases)


def _cue(*terms: str) -> Cue:
    return Cue(frozenset(t for t in terms if " " not in t),
               tuple(t for t in terms if " " in t or not t.isalnum()))


_OBJECTION = _cue("but", "however", "expensive", "price", "budget", "not sure", "already have",
                  "already use", "don't", "competitor", "cheaper", "can't", "worried", "tried",
                  "what's this about", "not interested", "not a priority", "send me an email")
_ACKNOWLEDGE = _cue("understand", "makes sense", "fair", "hear you", "appreciate", "good point",
                    "reasonable", "i get that", "totally get", "that's valid")
_GREETING = _cue("hi", "hello", "hey", "good morning", "good afternoon", "good evening", "thanks",
                 "thank you")
_VALUE = _cue("save", "saves", "saving", "reduce", "reduces", "increase", "increases", "faster",
              "revenue", "roi", "results", "impact", "outcome", "which means", "so you can",
              "so that you", "percent", "%")
_CLOSE = _cue("next step", "meeting", "demo", "pilot", "trial", "schedule", "calendar", "book",
              "invite", "set up time", "sign")
_SOFT_CLOSE = _cue("follow up", "follow-up", "send you", "send over", "send some info",
                   "send information")
_WHEN = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|tomorrow|next week|"
                   r"\d{1,2}(:\d{2})?\s?(am|pm)|o'clock)\b", re.I)


def _band(value: float, upper_bounds: list[float]) -> int:
    """1 + how many bounds ``value`` reaches."""
    return 1 + sum(value >= bound for bound in upper_bounds)


def _rep_sentences(turns: list[dict[str, Any]]) -> list[Said]:
    return [Said.of(s) for t in turns if t["speaker"] == "rep" for s in sentences(t["text"])]


def _skill(score: int, evidence: list[str]) -> dict[str, Any]:
    return {"score": max(1, min(5, score)), "evidence": evidence[:3]}


def _discovery(asked: list[str]) -> dict[str, Any]:
    open_ones = [s for s in asked if is_open_question(s)]
    score = _band(len(asked), [1, 3, 6, 11])
    if asked and not open_ones and score > 2:
        score -= 1
    return _skill(score, open_ones + [s for s in asked if s not in open_ones])


def _objection_handling(turns: list[dict[str, Any]]) -> dict[str, Any]:
    segs = segments(turns)
    raised = handled = 0
    evidence = []
    for previous, current in zip(segs, segs[1:]):
        if previous.speaker == "prospect" and _OBJECTION(Said.of(previous.text)):
            raised += 1
            if current.speaker == "rep" and _ACKNOWLEDGE(Said.of(current.text)):
                handled += 1
                evidence += [s for s in sentences(current.text) if _ACKNOWLEDGE(Said.of(s))]
    if raised == 0:
        return _skill(3, [])
    return _skill(_band(handled / raised, [0.01, 1 / 3, 2 / 3, 1.0]), evidence)


def _rapport(rep: list[Said], metrics: dict[str, Any]) -> dict[str, Any]:
    warm = [s.text for s in rep if _GREETING(s)]
    acknowledging = [s.text for s in rep if _ACKNOWLEDGE(s)]
    points = bool(warm) + bool(acknowledging) + (0.3 <= metrics["talk_ratio"] <= 0.6) + (
        metrics["sentiment"]["rep"] > 0.2)
    return _skill(1 + points, warm + acknowledging)


def _value(rep: list[Said]) -> dict[str, Any]:
    valuable = [s.text for s in rep if _VALUE(s)]
    return _skill(_band(len(valuable), [1, 2, 3, 5]), valuable)


def _closing(rep: list[Said], asked: set[str]) -> dict[str, Any]:
    asks = [s.text for s in rep if _CLOSE(s)]
    if any(_WHEN.search(s) and s in asked for s in asks):
        return _skill(5, [s for s in asks if _WHEN.search(s)])
    if any(s in asked for s in asks):
        return _skill(4, [s for s in asks if s in asked])
    if asks:
        return _skill(3, asks)
    soft = [s.text for s in rep if _SOFT_CLOSE(s)]
    return _skill(2 if soft else 1, soft)


def score_locally(turns: list[dict[str, Any]], metrics: dict[str, Any]) -> dict[str, Any]:
    rep = _rep_sentences(turns)
    asked = [s.text for s in rep if is_question(s.text)]  # checked once, used by two skills
    skills = {
        "discovery": _discovery(asked),
        "objection_handling": _objection_handling(turns),
        "rapport": _rapport(rep, metrics),
        "value_articulation": _value(rep),
        "closing": _closing(rep, set(asked)),
    }
    strengths, improvements = coaching_notes(metrics, skills)
    return {
        "skill_scores": skills,
        "summary": summarize(metrics, skills),
        "strengths": strengths,
        "improvements": improvements,
    }


def summarize(metrics: dict[str, Any], skills: dict[str, Any]) -> str:
    best = max(SKILLS, key=lambda s: skills[s]["score"])
    worst = min(SKILLS, key=lambda s: skills[s]["score"])
    return (
        f"You talked {metrics['talk_ratio']:.0%} of the time at {metrics['pace_wpm']:.0f} words a "
        f"minute, asked {metrics['questions_asked']} questions and used "
        f"{metrics['filler_words']['per_100_words']:.1f} fillers per 100 words. "
        f"Strongest: {best.replace('_', ' ')}; most room to grow: {worst.replace('_', ' ')}."
    )


def coaching_notes(metrics: dict[str, Any], skills: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Strengths and improvements against the reference bands and the skill scores."""
    good, grow = [], []
    ratio, pace = metrics["talk_ratio"], metrics["pace_wpm"]
    fillers, questions = metrics["filler_words"]["per_100_words"], metrics["questions_asked"]
    (good if 0.35 <= ratio <= 0.5 else grow).append(
        "Balanced talk time: the prospect did most of the talking." if 0.35 <= ratio <= 0.5 else
        f"You talked {ratio:.0%} of the time; aim for about 43% in discovery and let the prospect talk.")
    if questions >= 11:
        good.append(f"{questions} questions: thorough discovery.")
    elif questions < 6:
        grow.append(f"Only {questions} questions; strong discovery calls ask 11 to 14.")
    if fillers < 4:
        good.append("Clean delivery with few filler words.")
    else:
        grow.append(f"{fillers:.1f} fillers per 100 words; pause instead of 'um' or 'like'.")
    if pace and not 120 <= pace <= 180:
        grow.append(f"Pace of {pace:.0f} words a minute; 140 to 170 is easiest to follow.")
    if metrics["patience_seconds"] and metrics["patience_seconds"] < 0.6:
        grow.append("You answered almost instantly; a one-second pause shows you listened.")
    for skill in SKILLS:
        label = skill.replace("_", " ")
        if skills[skill]["score"] >= 4:
            good.append(f"Strong {label} ({skills[skill]['score']}/5).")
        elif skills[skill]["score"] <= 2:
            grow.append(f"Work on {label} ({skills[skill]['score']}/5).")
    return good, grow
