"""The local scorer: deterministic rules over the analytics and the transcript, used when no
OpenAI key is available (or the model fails). Same input, same scores.

Each skill gets 1-5 and evidence quoted verbatim from the rep's own sentences, or, when the call
gave the rep no occasion for it, ``not_observed`` with no score (FEEDBACK.md: never a low score
for what the call did not ask for). A call in which the rep said nothing has nothing to score.
- discovery (whenever the rep spoke): questions asked (0 -> 1, 1-2 -> 2, 3-5 -> 3, 6-10 -> 4,
  11+ -> 5), one point less when none of them was open (what/how/why, "tell me");
- objection_handling (only when the prospect raised an objection the rep then answered): of
  those objections, the share the rep answered by first acknowledging them (0 -> 1, under a
  third -> 2, under two thirds -> 3, most -> 4, all -> 5);
- rapport (when both spoke): 1 plus a point each for a greeting or thanks, acknowledging the
  prospect, a share of the conversation between 30% and 60% (of the talk time where it was
  measured, else of the words), and a warm tone (VADER > 0.2);
- value_articulation (when the rep talked about the offer): sentences that tie it to an outcome
  (save, reduce, increase, faster, revenue, "which means", "so you can"...): 0 -> 1, 1 -> 2,
  2 -> 3, 3-4 -> 4, 5+ -> 5;
- closing (whenever the rep spoke: every call can end with a next step): asking for a concrete
  next step with a time (5), asking for one (4), proposing one (3), only offering to send
  information or follow up (2), nothing (1).
The summary and the notes speak only of what was measured: never of an estimated pace or pause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from pitchlab.analysis.metrics import Metrics, measured, segments
from pitchlab.analysis.questions import is_open_question, is_question
from pitchlab.analysis.report import (
    SKILLS,
    SkillReport,
    SkillScore,
    is_scored,
    not_observed,
    scored,
    scores_of,
)
from pitchlab.analysis.text import sentences, words
from pitchlab.models.values import Speaker, Turn

RUBRIC_VERSION = "local-2026-11-v2"


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
        return (not self.single.isdisjoint(said.words)
                or any(p in said.lowered for p in self.phrases))


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
# the rep talking about what they sell: the occasion to articulate its value
_OFFER = _cue("our product", "our platform", "our solution", "our tool", "our software",
              "our service", "we offer", "we help", "we provide", "we can", "feature",
              "features", "pricing")
_SOFT_CLOSE = _cue("follow up", "follow-up", "send you", "send over", "send some info",
                   "send information")
_WHEN = re.compile(r"\b(monday|tuesday|wednesday|thursday|friday|tomorrow|next week|"
                   r"\d{1,2}(:\d{2})?\s?(am|pm)|o'clock)\b", re.IGNORECASE)


def _band(value: float, upper_bounds: list[float]) -> int:
    """1 + how many bounds ``value`` reaches."""
    return 1 + sum(value >= bound for bound in upper_bounds)


def _rep_sentences(turns: list[Turn]) -> list[Said]:
    return [Said.of(s) for t in turns if t["speaker"] == Speaker.REP
            for s in sentences(t["text"])]










def _discovery(asked: list[str]) -> SkillScore:
    open_ones = [s for s in asked if is_open_question(s)]
    score = _band(len(asked), [1, 3, 6, 11])
    if asked and not open_ones and score > 2:
        score -= 1
    return scored(score, open_ones + [s for s in asked if s not in open_ones])


def _objection_handling(turns: list[Turn]) -> SkillScore:
    segs = segments(turns)
    raised = handled = 0
    evidence = []
    for previous, current in pairwise(segs):
        if previous.speaker == "prospect" and _OBJECTION(Said.of(previous.text)):
            raised += 1
            if current.speaker == "rep" and _ACKNOWLEDGE(Said.of(current.text)):
                handled += 1
                evidence += [s for s in sentences(current.text) if _ACKNOWLEDGE(Said.of(s))]
    if raised == 0:
        return not_observed()
    return scored(_band(handled / raised, [0.01, 1 / 3, 2 / 3, 1.0]), evidence)


def rep_share(metrics: Metrics) -> float:
    """The rep's share of the conversation: of the talk time where it was measured, else of
    the words (what an estimated talk time is made of anyway)."""
    if measured(metrics, "talk_ratio"):
        return metrics["talk_ratio"]
    said = metrics["word_count"]
    total = said["rep"] + said["prospect"]
    return said["rep"] / total if total else 0.0


def _rapport(rep: list[Said], metrics: Metrics) -> SkillScore:
    if not metrics["word_count"]["prospect"]:
        return not_observed()  # nobody to build rapport with
    warm = [s.text for s in rep if _GREETING(s)]
    acknowledging = [s.text for s in rep if _ACKNOWLEDGE(s)]
    points = bool(warm) + bool(acknowledging) + (0.3 <= rep_share(metrics) <= 0.6) + (
        metrics["sentiment"]["rep"] > 0.2)
    return scored(1 + points, warm + acknowledging)


def _value(rep: list[Said]) -> SkillScore:
    valuable = [s.text for s in rep if _VALUE(s)]
    if valuable:
        return scored(_band(len(valuable), [1, 2, 3, 5]), valuable)
    offered = [s.text for s in rep if _OFFER(s)]
    # the offer with no outcome tied to it scores 1; an offer never mentioned, nothing
    return scored(1, offered) if offered else not_observed()


def _closing(rep: list[Said], asked: set[str]) -> SkillScore:
    asks = [s.text for s in rep if _CLOSE(s)]
    if any(_WHEN.search(s) and s in asked for s in asks):
        return scored(5, [s for s in asks if _WHEN.search(s)])
    if any(s in asked for s in asks):
        return scored(4, [s for s in asks if s in asked])
    if asks:
        return scored(3, asks)
    soft = [s.text for s in rep if _SOFT_CLOSE(s)]
    return scored(2 if soft else 1, soft)


NOTHING_TO_SCORE = ("Nothing to score: you did not {verb} anything in this call, so there are "
                    "no skill scores and nothing to measure on your side of it.")
SAY_SOMETHING = ("Next time, answer the prospect: {verb} a few sentences, and the report will "
                 "score what you {past}.")


def _verbs(metrics: Metrics) -> tuple[str, str]:
    return ("type", "wrote") if metrics.get("mode") == "text" else ("say", "said")


def nothing_to_score(metrics: Metrics) -> SkillReport:
    """The report of a call in which the rep said nothing: no scores, no strengths, and no
    advice beyond the one thing that would have made a report possible."""
    verb, past = _verbs(metrics)
    return {
        "skill_scores": {skill: not_observed() for skill in SKILLS},
        "moments": [],
        "summary": NOTHING_TO_SCORE.format(verb=verb),
        "strengths": [],
        "improvements": [SAY_SOMETHING.format(verb=verb, past=past)],
    }


def rep_said_something(turns: list[Turn]) -> bool:
    return any(words(t["text"]) for t in turns if t["speaker"] == Speaker.REP)


def score_locally(turns: list[Turn], metrics: Metrics) -> SkillReport:
    if not rep_said_something(turns):
        return nothing_to_score(metrics)
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
        "moments": [],
        "summary": summarize(metrics, skills),
        "strengths": strengths,
        "improvements": improvements,
    }


def _label(skill: str) -> str:
    return skill.replace("_", " ")


def _questions(count: int) -> str:
    return f"{count} question" if count == 1 else f"{count} questions"


def _share_of(metrics: Metrics) -> str:
    return "the talk time" if measured(metrics, "talk_ratio") else "the words"


def summarize(metrics: Metrics, skills: dict[str, SkillScore]) -> str:
    _, past = _verbs(metrics)
    pace = (f" at {metrics['pace_wpm']:.0f} words a minute" if measured(metrics, "pace_wpm")
            else "")
    numbers = (f"You {past} {rep_share(metrics):.0%} of {_share_of(metrics)}{pace}, asked "
               f"{_questions(metrics['questions_asked'])} and used "
               f"{metrics['filler_words']['per_100_words']:.1f} fillers per 100 words.")
    parts = [numbers]
    scored = scores_of(skills)
    if scored:
        best = max(scored, key=scored.__getitem__)
        worst = min(scored, key=scored.__getitem__)
        if scored[best] > scored[worst]:
            parts.append(f"Strongest: {_label(best)}; most room to grow: {_label(worst)}.")
        else:
            parts.append(f"Every skill scored {scored[best]}/5.")
    unobserved = [_label(s) for s in SKILLS if not is_scored(skills[s])]
    if unobserved:
        parts.append(f"Not observed in this call: {', '.join(unobserved)}.")
    return " ".join(parts)


def coaching_notes(
    metrics: Metrics, skills: dict[str, SkillScore]
) -> tuple[list[str], list[str]]:
    """Strengths and improvements against the reference bands and the skill scores; only
    measured numbers and scored skills are commented on."""
    good: list[str] = []
    grow: list[str] = []
    share, pace = rep_share(metrics), metrics["pace_wpm"]
    fillers, questions = metrics["filler_words"]["per_100_words"], metrics["questions_asked"]
    _, past = _verbs(metrics)
    (good if 0.35 <= share <= 0.5 else grow).append(
        "Balanced conversation: the prospect did most of the talking." if 0.35 <= share <= 0.5
        else f"You {past} {share:.0%} of {_share_of(metrics)}; aim for about 43% in discovery "
             "and let the prospect talk.")
    if questions >= 11:
        good.append(f"{questions} questions: thorough discovery.")
    elif questions < 6:
        grow.append(f"Only {_questions(questions)}; strong discovery calls ask 11 to 14.")
    if fillers < 4:
        good.append("Clean delivery with few filler words.")
    else:
        grow.append(f"{fillers:.1f} fillers per 100 words; pause instead of 'um' or 'like'.")
    if measured(metrics, "pace_wpm") and not 120 <= pace <= 180:
        grow.append(f"Pace of {pace:.0f} words a minute; 140 to 170 is easiest to follow.")
    if measured(metrics, "patience_seconds") and metrics["patience_seconds"] < 0.6:
        grow.append("You answered almost instantly; a one-second pause shows you listened.")
    for skill, score in scores_of(skills).items():
        if score >= 4:
            good.append(f"Strong {_label(skill)} ({score}/5).")
        elif score <= 2:
            grow.append(f"Work on {_label(skill)} ({score}/5).")
    return good, grow
