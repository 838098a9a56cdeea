"""The local scorer: deterministic rules that read the conversation (who said what, and what
the other person did next), used when no language model is available or the model fails.
Same input, same report.

Each skill (FEEDBACK.md, "Skills") is judged by its own module in pitchlab.analysis.skills:
- discovery: follow-up questions that take up the prospect's own words, open questions, and
  the pain, impact and buying process the prospect disclosed in answers (skills/discovery.py);
- objection handling: objections detected on the prospect's side, and per objection whether the
  rep acknowledged (not "I understand, but"), explored, answered with the prospect's own
  situation, checked, and whether the prospect softened (skills/objections.py);
- rapport: reflecting the prospect's words, empathy after a negative turn, interruptions,
  mechanical use of a name (skills/rapport.py);
- value articulation: the offer tied to the prospect's stated pains and numbers; buzzwords
  earn nothing (skills/value.py);
- closing: a concrete next step (when, who, what) and the prospect's agreement
  (skills/closing.py).
A skill the call gave no occasion for is ``not_observed`` (no score, no advice). Evidence and
moments quote the stored turns verbatim. A call in which the rep said nothing has nothing to
score. The skills' cues are English phrases: in a call in another language every skill is
reported as not available (no score, named in ``not_measured``), never as a low score; the
measured numbers are still commented on.
"""

from __future__ import annotations

from collections.abc import Sequence

from pitchlab.analysis.languages import analysis_for, language_of, name_of, reads_skills
from pitchlab.analysis.metrics import Metrics
from pitchlab.analysis.report import SKILLS, Moment, SkillReport, SkillScore, not_observed
from pitchlab.analysis.skills import closing, discovery, objections, rapport, value
from pitchlab.analysis.skills.coaching import (
    Findings,
    band_notes,
    coaching_notes,
    rep_share,
    share_and_questions,
    summarize,
    verbs,
)
from pitchlab.analysis.skills.conversation import Conversation
from pitchlab.analysis.skills.cues import PAIN
from pitchlab.analysis.skills.moments import (
    closing_moments,
    discovery_moments,
    objection_moments,
    pick,
    rapport_moments,
    their_words,
    value_moments,
)
from pitchlab.models.values import Speaker, Turn

RUBRIC_VERSION = "local-2026-11-v3"  # v3: the conversation is read, not keywords (issue 13)

__all__ = ["RUBRIC_VERSION", "nothing_to_score", "rep_said_something", "rep_share",
           "score_locally"]

NOTHING_TO_SCORE = ("Nothing to score: you did not {verb} anything in this call, so there are "
                    "no skill scores and nothing to measure on your side of it.")
SAY_SOMETHING = ("Next time, answer the prospect: {verb} a few sentences, and the report will "
                 "score what you {past}.")


def nothing_to_score(metrics: Metrics) -> SkillReport:
    """The report of a call in which the rep said nothing: no scores, no strengths, and no
    advice beyond the one thing that would have made a report possible."""
    verb, past = verbs(metrics)
    return {
        "skill_scores": {skill: not_observed() for skill in SKILLS},
        "moments": [],
        "summary": NOTHING_TO_SCORE.format(verb=verb),
        "strengths": [],
        "improvements": [SAY_SOMETHING.format(verb=verb, past=past)],
    }


NOT_AVAILABLE = ("Skill scores are not available for calls in {language}: the local rules "
                 "read English only.")


def rep_said_something(turns: Sequence[Turn], language: str = "en") -> bool:
    words = analysis_for(language).words
    return any(words(t["text"]) for t in turns if t["speaker"] == Speaker.REP)


def skills_not_available(metrics: Metrics, language: str) -> SkillReport:
    """The report of a call in a language the skill rules cannot read: no skill scored, each
    named as not measured, and the notes on the numbers that were measured."""
    good: list[str] = []
    grow: list[str] = []
    band_notes(metrics, good, grow)
    unread = [f"skill_scores.{skill}" for skill in SKILLS]
    return {
        "skill_scores": {skill: not_observed() for skill in SKILLS},
        "moments": [],
        "summary": " ".join((share_and_questions(metrics),
                             NOT_AVAILABLE.format(language=name_of(language)))),
        "strengths": good,
        "improvements": grow,
        "not_measured": [*metrics.get("not_measured", ()), *unread],
    }


def read_call(conv: Conversation, *, timed: bool) -> Findings:
    """What every skill rule detected in the call."""
    steps, vague = closing.read_next_steps(conv)
    return Findings(
        discovery=discovery.read_discovery(conv),
        objections=objections.read_objections(conv),
        rapport=rapport.read_rapport(conv, timed=timed),
        value=value.read_value(conv),
        next_steps=steps,
        vague_steps=vague,
    )


def score_call(conv: Conversation, found: Findings) -> dict[str, SkillScore]:
    skills = {
        "discovery": discovery.score_discovery(found.discovery),
        "objection_handling": objections.score_objections(found.objections),
        "rapport": rapport.score_rapport(conv, found.rapport),
        "value_articulation": value.score_value(found.value),
        "closing": closing.score_closing(conv, found.next_steps, found.vague_steps),
    }
    if conv.ended_in_opening:
        # no occasion for any of these; an objection the rep answered is still judged
        skills.update({skill: not_observed() for skill in SKILLS
                       if skill != "objection_handling"})
    return skills


def score_locally(turns: Sequence[Turn], metrics: Metrics, language: str | None = None
                  ) -> SkillReport:
    """``language``: the call's BCP 47 tag; None takes the metrics' (English without one)."""
    language = language_of(language or metrics.get("language"))
    if not rep_said_something(turns, language):
        return nothing_to_score(metrics)
    if not reads_skills(language):
        return skills_not_available(metrics, language)
    conv = Conversation(turns)
    # Timestamps of a practice call are estimated from words: they cannot show an overlap.
    found = read_call(conv, timed=metrics.get("mode") is None)
    skills = score_call(conv, found)
    strengths, improvements = coaching_notes(metrics, skills, found,
                                             bands=not conv.ended_in_opening)
    return {
        "skill_scores": skills,
        "moments": _moments(conv, found, skills),
        "summary": summarize(metrics, skills, found),
        "strengths": strengths,
        "improvements": improvements,
    }


def _moments(conv: Conversation, found: Findings, skills: dict[str, SkillScore]
             ) -> list[Moment]:
    observed = {skill for skill, s in skills.items() if s["score"] is not None}
    pains = found.discovery.pain
    topic = their_words(pains[0], 8, telling=PAIN.search) if pains else None
    candidates = []
    if "objection_handling" in observed:
        candidates += objection_moments(found.objections)
    if "discovery" in observed:
        candidates += discovery_moments(conv, found.discovery)
    if "rapport" in observed:
        candidates += rapport_moments(conv, found.rapport)
    if "value_articulation" in observed:
        candidates += value_moments(conv, found.value, pains)
    if "closing" in observed:
        candidates += closing_moments(conv, found.next_steps, found.vague_steps, topic)
    return pick(candidates)
