"""``pitchlab demo``: a scripted practice call against the offline prospect, end to end through
the real API (sign-up, verification, a text call, its end, the feedback job), then the report.

It runs on the configured database (the embedded one by default) as one demo account,
``DEMO_EMAIL``, reused by every run. When that account cannot start a call (there is none yet, its
trial or minutes are used up, its password was changed, a crashed run left a call open) it is
deleted with its company, calls and mail, and created afresh. So at most one demo company is ever
left, and you can sign in as it afterwards.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, func, select

from pitchlab.app import create_app
from pitchlab.config import Settings
from pitchlab.db import system_context
from pitchlab.deps import context_of
from pitchlab.jobs.queue import WorkerResources, run_worker
from pitchlab.models import Company, OutboxEmail, User
from pitchlab.security.emails import canonical_email

SCENARIO = "discovery-busy-vp"
DEMO_EMAIL = "pitchlab-demo@example.com"
PASSWORD = "demo passphrase 2026"
# Answers to sessions/start that a fresh account does not get: out of trial or minutes (402), a
# call a crashed run left open (409).
_REPLACE_ON = (402, 409)
REP_LINES = [
    "Hi Marcus, thanks for taking the call. I'll keep it short.",
    "What are your biggest challenges with getting new reps to quota?",
    "How do your managers coach calls today?",
    "Um, so our platform basically gives every rep feedback on every call, which means "
    "managers coach in minutes instead of hours.",
    "That makes sense, I hear you. What happened with the last coaching tool?",
    "What would it mean for you if new reps ramped in three months instead of six?",
    "Would you be open to a meeting next Thursday at 10am with your enablement lead?",
]
SKILL_LABELS = {"discovery": "Discovery", "objection_handling": "Objection handling",
                "rapport": "Rapport", "value_articulation": "Value articulation",
                "closing": "Closing"}
Say = Callable[[str], None]  # where the demo's lines go (the terminal)


async def run_demo(settings: Settings, say: Say) -> dict[str, Any]:
    app = create_app(settings.model_copy(update={"run_worker_in_process": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as api:
            headers, started = await _start_call(app, api, say)
            session_id = await _call(api, headers, started, say)
            context = context_of(app)
            resources = WorkerResources(context.settings, context.database, context.providers)
            await run_worker(context.jobs, resources, wait=False, install_signal_handlers=False)
            feedback_url = f"/api/sessions/{session_id}/feedback"
            feedback = (await api.get(feedback_url, headers=headers)).json()
    say(render_report(feedback))
    return feedback


async def _start_call(
    app: FastAPI, api: httpx.AsyncClient, say: Say
) -> tuple[dict[str, str], dict[str, Any]]:
    """Sign in as the demo account and start a call; an account that cannot is replaced, once."""
    for replaced in (False, True):
        headers = await _login(api)
        if headers is not None:
            response = await api.post("/api/sessions/start", headers=headers,
                                      json={"mode": "text", "scenario_id": SCENARIO})
            if response.status_code < 400:
                say(f"Signed in as {DEMO_EMAIL} (password: {PASSWORD!r}).\n")
                return headers, response.json()
            if replaced or response.status_code not in _REPLACE_ON:
                _ok(response)
        elif replaced:
            raise RuntimeError(f"the new demo account {DEMO_EMAIL} cannot sign in")
        await _replace_account(app, api, say)
    raise AssertionError("unreachable")


async def _login(api: httpx.AsyncClient) -> dict[str, str] | None:
    """Bearer headers for the demo account, or None when it cannot sign in (no such account,
    not verified, another password)."""
    response = await api.post("/api/auth/login", json={"email": DEMO_EMAIL, "password": PASSWORD})
    if response.status_code in (401, 403):
        return None
    return {"Authorization": f"Bearer {_ok(response)['access_token']}"}


async def _replace_account(app: FastAPI, api: httpx.AsyncClient, say: Say) -> None:
    """Delete the demo account (its company, and with it its calls, usage and tokens) and its
    mail, then sign it up again and verify it through the link in the outbox."""
    canonical = canonical_email(DEMO_EMAIL)
    mail_to_demo = func.lower(OutboxEmail.to_address) == DEMO_EMAIL
    async with context_of(app).database.transaction(system_context("demo")) as session:
        companies = select(User.company_id).where(User.email_canonical == canonical)
        await session.execute(delete(Company).where(Company.id.in_(companies)))
        await session.execute(delete(User).where(User.email_canonical == canonical))
        await session.execute(delete(OutboxEmail).where(mail_to_demo))
    _ok(await api.post("/api/auth/register", json={
        "email": DEMO_EMAIL, "password": PASSWORD, "name": "Demo Rep", "company_name": "Demo Co",
    }))
    async with context_of(app).database.transaction(system_context("demo")) as session:
        links = (await session.execute(select(OutboxEmail.links).where(mail_to_demo))).scalar_one()
    link = links[0]
    _ok(await api.get(link.replace(str(context_of(app).settings.public_url).rstrip("/"), "")))
    say(f"Created the demo account {DEMO_EMAIL}; every run reuses it.")


async def _call(
    api: httpx.AsyncClient, headers: dict[str, str], started: dict[str, Any], say: Say
) -> str:
    persona = started["scenario"]["persona"]
    say(f"Practice call: {started['scenario']['name']} with {persona['name']}, "
        f"{persona['title']} at {persona['company']}\n")
    for line in REP_LINES:
        response = await api.post(f"/api/sessions/{started['id']}/stream", headers=headers,
                                  json={"text": line})
        _ok(response, parse=False)
        reply = json.loads(response.text.splitlines()[-1])  # NDJSON: the reply comes last
        say(f"  Rep:      {line}")
        say(f"  Prospect: {reply['agent_response_event']['agent_response']}")
    ended = _ok(await api.post(f"/api/sessions/{started['id']}/end", headers=headers))
    say(f"\nCall ended: {ended['minutes_billed']} minute(s) billed.\n")
    return str(started["id"])


def _ok(response: httpx.Response, parse: bool = True) -> Any:
    """The answer's JSON (or None, ``parse=False``); an error answer stops the demo."""
    if response.status_code >= 400:
        request = response.request
        raise RuntimeError(f"{request.method} {request.url.path}: {response.text}")
    return response.json() if parse else None


def render_report(feedback: dict[str, Any]) -> str:
    if feedback.get("status") != "ready":
        return f"Feedback is {feedback.get('status')}: {feedback.get('error', '')}"
    m = feedback["metrics"]
    numbers = [
        ("talk_ratio", f"  Talk share (you)   {m['talk_ratio']:.0%}   (reference: about 43%)"),
        ("pace_wpm", f"  Pace               {m['pace_wpm']:.0f} wpm   (140-170)"),
        ("filler_words.per_100_words", (f"  Filler words       {m['filler_words']['count']} "
                          f"({m['filler_words']['per_100_words']:.1f} per 100 words; "
                          "fewer than 4)")),
        ("questions_asked",
         f"  Questions asked    {m['questions_asked']}   (11-14 in a discovery call)"),
        ("longest_monologue_seconds",
         f"  Longest monologue  {m['longest_monologue_seconds']:.1f} s"),
        ("patience_seconds",
         f"  Patience           {m['patience_seconds']:.2f} s before answering (about 1 s)"),
        ("sentiment.prospect", (f"  Prospect mood      {m['sentiment']['prospect']:+.2f} "
                       f"(trend {m['sentiment']['prospect_trend']:+.2f})")),
    ]
    # what the call could not measure is left out; what it estimated says so
    lines = ["Feedback report", "=" * 15, "", m["summary"], ""]
    # (names are the `not_measured` ones: dotted where the line shows one part of a metric)
    lines += [line + ("   estimated" if name in m.get("estimated", ()) else "")
              for name, line in numbers if name not in m.get("not_measured", ())]
    lines += ["", f"Skills (scored by {m['scored_by']})"]
    for skill, label in SKILL_LABELS.items():
        scored = m["skill_scores"][skill]
        if scored["score"] is None:
            lines.append(f"  {label:<20}not observed")
            continue
        score = scored["score"]
        lines.append(f"  {label:<20}{'#' * score}{'.' * (5 - score)} {score}/5")
        lines += [f"      \"{quote}\"" for quote in scored["evidence"][:1]]
    lines += ["", "Strengths"] + [f"  + {s}" for s in m["strengths"]]
    lines += ["", "To improve"] + [f"  - {s}" for s in m["improvements"]]
    return "\n".join(lines)
