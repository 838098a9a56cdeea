"""The versioned rubric the language model scores against, and the JSON schema it must fill.

Each skill has anchored levels so that a 3 means the same thing on every call; the anchors and
the rules around them are FEEDBACK.md's "Skills" section: a skill is judged from what happened in
the conversation, not from words the rep used, and a skill the call gave no occasion for is
"not observed", never a low score. The model also returns coaching moments, each naming the turn
(by the index the prompt gives it) and quoting it. Change the text, change RUBRIC_VERSION: stored
feedback records which rubric produced it.

``RESPONSE_SCHEMA`` is written for OpenAI's strict structured output: every object has
``additionalProperties: false`` and lists all of its keys as required (optional values are
nullable instead). Servers without strict schemas get the same schema pasted into the prompt
(``json_mode_prompt``) and the answer is validated against it all the same.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pitchlab.analysis.report import SKILLS

# llm-2026-11-v3: FEEDBACK.md's skill rules, moments, call type and its reference bands.
# llm-2026-11-v4: a call with a scorecard is also scored on its criteria (CRITERIA_PROMPT).
RUBRIC_VERSION = "llm-2026-11-v4"
MAX_MOMENTS = 5

# FEEDBACK.md, "Skills (1-5, or not observed)": one line of anchors per skill.
SKILL_ANCHORS = {
    "discovery": {
        1: "a pitch with no discovery: no real questions about the prospect",
        3: "mostly closed questions with little follow-up on the answers",
        5: "open, layered questions that build on the prospect's answers and uncover the pain, "
           "its impact and the buying process",
    },
    "objection_handling": {
        1: "ignores, argues with or steamrolls the objection, or discounts at once",
        3: "acknowledges the objection but answers with generic claims, without exploring it",
        5: "acknowledges it, explores it with a question, answers with value tied to the "
           "prospect's situation, and checks the answer landed",
    },
    "rapport": {
        1: "talks over the prospect (interrupts), ignores what they said; cold or scripted",
        3: "polite but generic: scripted phrases without showing they listened",
        5: "shows listening by reflecting the prospect's own words, empathy when the prospect is "
           "negative, no interruptions, names used naturally",
    },
    "value_articulation": {
        1: "features or buzzwords with no link to anything the prospect said",
        3: "benefits in general terms, loosely linked to the prospect",
        5: "the product linked to pains the prospect stated, with the impact quantified in the "
           "prospect's own terms",
    },
    "closing": {
        1: "the call ends with no next step",
        3: "a vague next step (follow up, send information), or one the prospect did not agree to",
        5: "a concrete next step (when, who, what) proposed, and the prospect agreed",
    },
}

# FEEDBACK.md: when a skill had an occasion in the call (else it is not observed).
_OCCASION = {
    "discovery": "whenever the rep spoke with the prospect",
    "objection_handling": "only when the PROSPECT raised an objection (price, timing, a "
                          "competitor, no need, no authority...)",
    "rapport": "whenever both spoke",
    "value_articulation": "only when the rep presented the offer",
    "closing": "when the call reached a point where a next step could be proposed",
}

SYSTEM_PROMPT = (
    "You are a sales coach scoring a role-play call between a sales rep and a prospect. "
    "Score only the REP, on each skill from 1 to 5 using these anchored levels (2 and 4 lie "
    "between their neighbours):\n"
    + "\n".join(
        f"- {skill} (occasion: {_OCCASION[skill]}): "
        + "; ".join(f"{level} = {text}" for level, text in anchors.items())
        for skill, anchors in SKILL_ANCHORS.items()
    )
    + "\nJudge each skill from what happened in the conversation, not from words the rep used: "
    "\"I understand, but...\" that does not explore the concern is not objection handling, "
    "scripted phrases alone are not rapport, buzzwords and ROI claims alone are not value. "
    "Read the prospect's turns to see what the rep's words did (did the prospect open up, "
    "soften, agree?).\n"
    "A skill the call gave the rep no occasion for (no objection was raised, the rep never got to "
    "the offer) is status \"not_observed\" with score null and no evidence: never a low score. "
    "Every other skill is status \"scored\" with a score. For every score give up to three "
    "pieces of evidence: exact quotes copied character for character from the rep's turns "
    "(never the prospect's, never paraphrased).\n"
    f"Then give up to {MAX_MOMENTS} moments: the points of the call most worth coaching. Each "
    "names the turn by its \"index\" (a REP turn), the skill (one you scored, never a "
    "not-observed one), kind \"strength\" or \"improvement\", a quote copied character for "
    "character from that one turn, why (one sentence: what happened there and why it matters "
    "to this prospect) and try_instead (a line the rep could have said at that point; for a "
    "strength, a line that builds on it).\n"
    "Then write a two-sentence summary, up to three strengths and up to three improvements, "
    "addressed to the rep as 'you'; say nothing about skills you did not observe, and give no "
    "advice the call does not support.\n"
    "The user message is JSON: the call type, the call's measured metrics (facts) with the "
    "reference bands for this call type (context, never pass/fail rules), the mode (\"text\": "
    "the call was typed, not spoken) and the turns, each with its index, speaker, start_ms and "
    "text."
)

_SKILL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["score", "status", "evidence"],
    "properties": {
        "score": {"type": ["integer", "null"], "enum": [1, 2, 3, 4, 5, None]},
        "status": {"type": "string", "enum": ["scored", "not_observed"]},
        "evidence": {"type": "array", "items": {"type": "string"}},
    },
}

_MOMENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["turn_index", "skill", "kind", "quote", "why", "try_instead"],
    "properties": {
        "turn_index": {"type": "integer"},
        "skill": {"type": "string", "enum": list(SKILLS)},
        "kind": {"type": "string", "enum": ["strength", "improvement"]},
        "quote": {"type": "string"},
        "why": {"type": "string"},
        "try_instead": {"type": "string"},
    },
}

RESPONSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["skill_scores", "moments", "summary", "strengths", "improvements"],
    "properties": {
        "skill_scores": {
            "type": "object",
            "additionalProperties": False,
            "required": list(SKILL_ANCHORS),
            "properties": dict.fromkeys(SKILL_ANCHORS, _SKILL),
        },
        "moments": {"type": "array", "items": _MOMENT},
        "summary": {"type": "string"},
        "strengths": {"type": "array", "items": {"type": "string"}},
        "improvements": {"type": "array", "items": {"type": "string"}},
    },
}


CRITERIA_PROMPT = (
    "\nThis call is also graded on the company's scorecard: the user message's "
    "\"scorecard_criteria\" lists each criterion (id, name, description, weight and what a 1, 3 "
    "and 5 look like). Score each one in \"criteria_scores\", keyed by its id, exactly as you "
    "score a skill: 1 to 5 against its anchors with up to three exact quotes of the rep, or "
    "status \"not_observed\" with score null and no evidence when the call gave no occasion "
    "for it. The weights are the company's; they do not change how you score a criterion."
)


def system_prompt(criteria: Sequence[Mapping[str, Any]] = ()) -> str:
    """The rubric; a call with a scorecard gets the criteria instructions too."""
    return SYSTEM_PROMPT + CRITERIA_PROMPT if criteria else SYSTEM_PROMPT


def response_schema(criteria: Sequence[Mapping[str, Any]] = ()) -> dict[str, Any]:
    """``RESPONSE_SCHEMA``; with criteria, a required ``criteria_scores`` object whose keys are
    exactly the criteria's ids (strict output: all required, nothing else allowed)."""
    if not criteria:
        return RESPONSE_SCHEMA
    ids = [c["id"] for c in criteria]
    criteria_scores = {"type": "object", "additionalProperties": False, "required": ids,
                       "properties": dict.fromkeys(ids, _SKILL)}
    return {**RESPONSE_SCHEMA,
            "required": [*RESPONSE_SCHEMA["required"], "criteria_scores"],
            "properties": {**RESPONSE_SCHEMA["properties"], "criteria_scores": criteria_scores}}


def json_mode_prompt(criteria: Sequence[Mapping[str, Any]] = ()) -> str:
    """The system prompt for a server without strict schemas (plain JSON mode): the rubric, and
    the schema the answer must follow, since nothing else tells the model."""
    return (system_prompt(criteria) + "\nAnswer with one JSON object, nothing else, that follows "
            "this JSON schema exactly (every key present, no other keys):\n"
            + json.dumps(response_schema(criteria), separators=(",", ":")))
