"""The versioned rubric the language model scores against, and the JSON schema it must fill.

Each skill has anchored levels so that a 3 means the same thing on every call. Change the text,
change RUBRIC_VERSION: stored feedback records which rubric produced it.
"""

from __future__ import annotations

RUBRIC_VERSION = "llm-2026-11-v2"

SKILL_ANCHORS = {
    "discovery": {
        1: "asks no real questions; pitches instead",
        3: "asks some questions, mostly closed, and rarely follows up on answers",
        5: "asks open, layered questions that uncover pains, impact and the buying process",
    },
    "objection_handling": {
        1: "ignores or argues with objections, or discounts at once",
        3: "acknowledges objections but answers with generic claims",
        5: "acknowledges, asks to understand the concern, and answers it with specifics",
    },
    "rapport": {
        1: "cold or scripted; talks over the prospect",
        3: "polite and friendly but generic",
        5: "warm, uses the prospect's words and situation, and listens more than talks",
    },
    "value_articulation": {
        1: "lists features with no link to the prospect",
        3: "names benefits in general terms",
        5: "ties the offer to the prospect's stated pains with concrete outcomes",
    },
    "closing": {
        1: "ends with no next step",
        3: "proposes a vague next step (follow up, send information)",
        5: "asks for a concrete next step with a date, time and attendees",
    },
}

SYSTEM_PROMPT = (
    "You are a sales coach scoring a role-play call between a sales rep and a prospect. "
    "Score only the REP, on each skill from 1 to 5 using these anchored levels (2 and 4 lie "
    "between their neighbours):\n"
    + "\n".join(
        f"- {skill}: " + "; ".join(f"{level} = {text}" for level, text in anchors.items())
        for skill, anchors in SKILL_ANCHORS.items()
    )
    + "\nA skill the call gave the rep no occasion for (no objection was raised, the rep never "
    "got to the offer) is status \"not_observed\" with score null and no evidence: never a low "
    "score. Every other skill is status \"scored\" with a score. "
    "For every score give up to three pieces of evidence: exact quotes copied character "
    "for character from the rep's turns (never the prospect's, never paraphrased). Then write a "
    "two-sentence summary, up to three strengths and up to three improvements, addressed to "
    "the rep as 'you'; say nothing about skills you did not observe. The call's measured "
    "metrics are given for context (mode \"text\": the call was typed, not spoken)."
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

RESPONSE_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["skill_scores", "summary", "strengths", "improvements"],
    "properties": {
        "skill_scores": {
            "type": "object",
            "additionalProperties": False,
            "required": list(SKILL_ANCHORS),
            "properties": dict.fromkeys(SKILL_ANCHORS, _SKILL),
        },
        "summary": {"type": "string"},
        "strengths": {"type": "array", "items": {"type": "string"}},
        "improvements": {"type": "array", "items": {"type": "string"}},
    },
}
