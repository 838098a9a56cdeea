"""The summary, strengths and improvements: what happened in this call, against the reference
bands of its call type (metrics["reference"]: talk ratio, questions per 10 minutes, longest
monologue).

Honest by construction: a number is commented on only when it was measured (never an estimated
or missing one), a skill only when it was scored; a skill the call gave no occasion for is only
listed as not observed. Each note names what the rep or the prospect did, not a template score.
"""

from __future__ import annotations

from dataclasses import dataclass

from pitchlab.analysis.bands import Band, within_band
from pitchlab.analysis.languages import filler_examples
from pitchlab.analysis.metrics import Metrics, measured
from pitchlab.analysis.report import SKILLS, SkillScore, is_scored, scores_of
from pitchlab.analysis.skills.closing import NextStep
from pitchlab.analysis.skills.discovery import Discovery
from pitchlab.analysis.skills.moments import their_words
from pitchlab.analysis.skills.objections import Handling, objection_kinds
from pitchlab.analysis.skills.rapport import Rapport
from pitchlab.analysis.skills.value import ValueStatement


@dataclass(frozen=True)
class Findings:
    """Everything the skill rules read from one call."""

    discovery: Discovery
    objections: list[Handling]
    rapport: Rapport
    value: list[ValueStatement]
    next_steps: list[NextStep]
    vague_steps: list[str]


def label(skill: str) -> str:
    return skill.replace("_", " ")


def verbs(metrics: Metrics) -> tuple[str, str]:
    return ("type", "wrote") if metrics.get("mode") == "text" else ("say", "said")


def rep_share(metrics: Metrics) -> float:
    """The rep's share of the conversation: of the talk time where it was measured, else of
    the words (what an estimated talk time is made of anyway)."""
    if measured(metrics, "talk_ratio"):
        return metrics["talk_ratio"]
    said = metrics["word_count"]
    total = said["rep"] + said["prospect"]
    return said["rep"] / total if total else 0.0


def _span(band: Band, unit: str = "", scale: float = 1.0) -> str:
    low, high = band.get("min"), band.get("max")
    if low is not None and high is not None:
        return f"{low * scale:g}-{high * scale:g}{unit}"
    return f"under {high * scale:g}{unit}" if high is not None else f"over {low or 0:g}{unit}"


_CALL_NAMES = {"cold_call": "cold call", "discovery": "discovery call", "demo": "demo",
               "objection_handling": "objection-handling call", "closing": "closing call"}


def _call_type(metrics: Metrics) -> str:
    """The call type as a noun phrase with its article: "a cold call", "an objection-handling
    call"."""
    name = _CALL_NAMES.get(str(metrics.get("call_type")), "discovery call")
    return ("an " if name[0] in "aeiou" else "a ") + name


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def share_and_questions(metrics: Metrics) -> str:
    """The summary's first sentence: the rep's share of the call, and the questions asked when
    they were counted."""
    _, past = verbs(metrics)
    share_of = "the talk time" if measured(metrics, "talk_ratio") else "the words"
    if "questions_asked" in metrics.get("not_measured", ()):
        return f"You {past} {rep_share(metrics):.0%} of {share_of}."
    return (f"You {past} {rep_share(metrics):.0%} of {share_of} and asked "
            f"{_plural(metrics['questions_asked'], 'question')}.")


def summarize(metrics: Metrics, skills: dict[str, SkillScore], found: Findings) -> str:
    parts = [share_and_questions(metrics)]
    parts += _what_happened(found, skills)
    scored = scores_of(skills)
    if len(scored) > 1:
        best = max(scored, key=scored.__getitem__)
        worst = min(scored, key=scored.__getitem__)
        if scored[best] > scored[worst]:
            parts.append(f"Strongest: {label(best)}; most room to grow: {label(worst)}.")
    unobserved = [label(s) for s in SKILLS if not is_scored(skills[s])]
    if unobserved:
        parts.append(f"Not observed in this call: {', '.join(unobserved)}.")
    return " ".join(parts)


def _what_happened(found: Findings, skills: dict[str, SkillScore]) -> list[str]:
    said = []
    disclosed = [name for name, turns in (("a pain", found.discovery.pain),
                                          ("its impact", found.discovery.impact),
                                          ("how they buy", found.discovery.process)) if turns]
    if disclosed:
        listed = (", ".join(disclosed[:-1]) + " and " + disclosed[-1] if len(disclosed) > 1
                  else disclosed[0])
        said.append(f"In answer to your questions the prospect told you {listed}.")
    if is_scored(skills["objection_handling"]):
        kinds = sorted({k.replace("_", "-") for h in found.objections for k in h.kinds})
        softened = sum(h.softened for h in found.objections)
        said.append(f"The prospect raised {_plural(len(found.objections), 'objection')} "
                    f"({', '.join(kinds)}) and softened after {softened} of them.")
    if found.next_steps and any(s.agreed for s in found.next_steps):
        said.append("The call ended with a next step the prospect agreed to.")
    return said


def coaching_notes(metrics: Metrics, skills: dict[str, SkillScore], found: Findings, *,
                   bands: bool = True) -> tuple[list[str], list[str]]:
    """Notes on the measured numbers against the call type's bands (``bands``: False for a
    call that ended in its opening, whose ratios say nothing) and on each scored skill."""
    good: list[str] = []
    grow: list[str] = []
    if bands:
        band_notes(metrics, good, grow)
    scores = scores_of(skills)
    for skill, note in _skill_notes(found, scores).items():
        (good if scores[skill] >= 4 else grow).append(note)
    return good, grow


def band_notes(metrics: Metrics, good: list[str], grow: list[str]) -> None:
    """Notes on the measured numbers against the call type's reference bands."""
    reference, kind = metrics.get("reference", {}), _call_type(metrics)
    _, past = verbs(metrics)
    share = rep_share(metrics)
    if "talk_ratio" in reference and measured(metrics, "talk_ratio"):
        band = reference["talk_ratio"]
        span = _span(band, "%", 100)
        if within_band(share, band):
            good.append(f"You {past} {share:.0%} of the talk time, within the {span} that "
                        f"suits {kind}.")
        elif share > band.get("max", 1.0):
            grow.append(f"You {past} {share:.0%} of the talk time; for {kind} aim for "
                        f"{span} and let the prospect talk more.")
    per_10 = metrics.get("questions_per_10_minutes", 0.0)
    if "questions_per_10_minutes" in reference and measured(metrics, "questions_per_10_minutes") \
            and metrics["duration_seconds"] >= 300:  # a rate over a few minutes means little
        band = reference["questions_per_10_minutes"]
        if per_10 < band.get("min", 0.0):
            grow.append(f"{per_10:g} questions per 10 minutes; {kind} usually runs at "
                        f"{_span(band)}.")
    if "longest_monologue_seconds" in reference and measured(metrics,
                                                             "longest_monologue_seconds"):
        band = reference["longest_monologue_seconds"]
        longest = metrics["longest_monologue_seconds"]
        if longest > band.get("max", float("inf")):
            grow.append(f"Your longest stretch without a pause for the prospect ran "
                        f"{longest:.0f} s; keep it {_span(band, ' s')} on {kind}.")
    pace = metrics.get("pace_wpm", 0.0)
    if "pace_wpm" in reference and measured(metrics, "pace_wpm") and not within_band(
            pace, reference["pace_wpm"]):
        grow.append(f"You spoke at {pace:.0f} words a minute; "
                    f"{_span(reference['pace_wpm'])} is easiest to follow.")
    if metrics["word_count"]["rep"] >= 50 and measured(metrics, "filler_words.per_100_words"):
        fillers = metrics["filler_words"]["per_100_words"]
        if fillers >= 4:
            grow.append(f"{fillers:.1f} filler words per 100 words; a short pause works "
                        f"better than {filler_examples(metrics.get('language'))}.")


def _skill_notes(found: Findings, scores: dict[str, int]) -> dict[str, str]:
    """One note per scored skill, naming what happened in the call."""
    notes: dict[str, str] = {}
    d = found.discovery
    if "discovery" in scores:
        if scores["discovery"] >= 4:
            notes["discovery"] = (f"Discovery: {_plural(len(d.follow_ups), 'follow-up')} built "
                                  "on the prospect's answers and uncovered "
                                  f"{d.uncovered} of pain, impact and buying process.")
        elif not d.asked:
            notes["discovery"] = ("Discovery: the call was a pitch with no question about "
                                  "the prospect's situation.")
        else:
            missing = [n for n, t in (("the pain", d.pain), ("its impact in numbers",
                                                              d.impact),
                                      ("who decides and by when", d.process)) if not t]
            notes["discovery"] = ("Discovery: few questions built on the prospect's answers"
                                  + (f"; ask about {', '.join(missing)}." if missing else "."))
    if "objection_handling" in scores:
        worst = min(found.objections, key=lambda h: h.score)
        said = their_words(worst.objection, 10, telling=objection_kinds)
        notes["objection_handling"] = (
            f'Objection handling: on "{said}" you acknowledged, explored and answered in their '
            "terms." if scores["objection_handling"] >= 4 else
            f'Objection handling: on "{said}", acknowledge it, ask what is behind it and answer '
            "with what they told you before pitching.")
    if "rapport" in scores:
        r = found.rapport
        if scores["rapport"] >= 4:
            notes["rapport"] = "Rapport: you reflected the prospect's own words back to them."
        else:
            issues = ([_plural(len(r.interruptions), "interruption")] if r.interruptions
                      else []) + (["a frustrated moment answered without their words"]
                                  if r.ignored else []) + (
                [f"the name {r.mechanical_name} in most turns"] if r.mechanical_name else [])
            notes["rapport"] = ("Rapport: " + (", ".join(issues) if issues else
                                "few of the prospect's words came back in your replies") + ".")
    if "value_articulation" in scores:
        notes["value_articulation"] = (
            "Value: you tied the offer to what the prospect told you, in their numbers."
            if scores["value_articulation"] >= 4 else
            "Value: tie the offer to the problems the prospect named and size it with their "
            "numbers, not generic claims.")
    if "closing" in scores:
        notes["closing"] = (
            "Closing: a concrete next step (when, who, what) that the prospect agreed to."
            if scores["closing"] >= 4 else
            "Closing: end with a concrete next step: a day and time, who joins, and what the "
            "meeting is for, and get a yes.")
    return notes
