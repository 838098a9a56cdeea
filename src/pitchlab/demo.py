"""``pitchlab demo``: a scripted practice call against the offline prospect, end to end through
the real API (sign-up, verification, a text call, its end, the feedback job), then the report.

It runs on the configured database (the embedded one by default) and leaves the demo company
there, so you can sign in as it afterwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
from sqlalchemy import select

from pitchlab.app import create_app
from pitchlab.config import Settings
from pitchlab.db import system_context
from pitchlab.jobs.queue import WorkerResources, run_worker
from pitchlab.models import OutboxEmail

SCENARIO = "discovery-busy-vp"
PASSWORD = "demo passphrase 2026"
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


async def run_demo(settings: Settings, say: Callable[[str], None]) -> dict[str, Any]:
    app = create_app(settings.model_copy(update={"run_worker_in_process": False}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://demo") as api:
            headers = await _sign_up(app, api, say)
            session_id = await _call(app, api, headers, say)
            await run_worker(app.state.jobs, WorkerResources(settings, app.state.database,
                                                             app.state.providers),
                             wait=False, install_signal_handlers=False)
            feedback = (await api.get(f"/api/sessions/{session_id}/feedback", headers=headers)).json()
    say(render_report(feedback))
    return feedback


async def _sign_up(app, api: httpx.AsyncClient, say) -> dict[str, str]:
    email = f"demo-{uuid.uuid4().hex[:8]}@example.com"
    _ok(await api.post("/api/auth/register", json={"email": email, "password": PASSWORD,
                                                  "name": "Demo Rep", "company_name": "Demo Co"}))
    async with app.state.database.transaction(system_context("demo")) as session:
        mail = (await session.execute(
            select(OutboxEmail).where(OutboxEmail.to_address == email)
        )).scalar_one()
        link = mail.links[0]
    _ok(await api.get(link.replace(str(app.state.settings.public_url).rstrip("/"), "")))
    tokens = _ok(await api.post("/api/auth/login", json={"email": email, "password": PASSWORD}))
    say(f"Signed up and verified {email} (password: {PASSWORD!r}).\n")
    return {"Authorization": f"Bearer {tokens['access_token']}"}


async def _call(app, api: httpx.AsyncClient, headers, say) -> str:
    started = _ok(await api.post("/api/sessions/start", headers=headers,
                                 json={"mode": "text", "scenario_id": SCENARIO}))
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
    return started["id"]


def _ok(response: httpx.Response, parse: bool = True):
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.text}")
    return response.json() if parse else None


def render_report(feedback: dict[str, Any]) -> str:
    if feedback.get("status") != "ready":
        return f"Feedback is {feedback.get('status')}: {feedback.get('error', '')}"
    m = feedback["metrics"]
    numbers = [
        ("talk_ratio", f"  Talk share (you)   {m['talk_ratio']:.0%}   (reference: about 43%)"),
        ("pace_wpm", f"  Pace               {m['pace_wpm']:.0f} wpm   (140-170)"),
        ("filler_words", (f"  Filler words       {m['filler_words']['count']} "
                          f"({m['filler_words']['per_100_words']:.1f} per 100 words; "
                          "fewer than 4)")),
        ("questions_asked",
         f"  Questions asked    {m['questions_asked']}   (11-14 in a discovery call)"),
        ("longest_monologue_seconds",
         f"  Longest monologue  {m['longest_monologue_seconds']:.1f} s"),
        ("patience_seconds",
         f"  Patience           {m['patience_seconds']:.2f} s before answering (about 1 s)"),
        ("sentiment", (f"  Prospect mood      {m['sentiment']['prospect']:+.2f} "
                       f"(trend {m['sentiment']['prospect_trend']:+.2f})")),
    ]
    # what the call could not measure is left out; what it estimated says so
    lines = ["Feedback report", "=" * 15, "", m["summary"], ""]
    lines += [line + ("   estimated" if name in m.get("estimated", ()) else "")
              for name, line in numbers if name not in m.get("not_measured", ())]
    lines += ["", f"Skills (scored by {m['scored_by']})"]
    for skill, label in SKILL_LABELS.items():
        scored = m["skill_scores"][skill]
        if scored["score"] is None:
            lines.append(f"  {label:<20}not observed")
            continue
        lines.append(f"  {label:<20}{'#' * scored['score']}{'.' * (5 - scored['score'])} {scored['score']}/5")
        lines += [f"      \"{quote}\"" for quote in scored["evidence"][:1]]
    lines += ["", "Strengths"] + [f"  + {s}" for s in m["strengths"]]
    lines += ["", "To improve"] + [f"  - {s}" for s in m["improvements"]]
    return "\n".join(lines)
