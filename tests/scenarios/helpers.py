"""Shared steps of the scenario tests."""

from __future__ import annotations

import psycopg

from pitchlab.database_setup import libpq_dsn
from tests.auth.helpers import bearer

PATH = "/api/scenarios"


def scenario_body(**changes) -> dict:
    """A complete, valid company scenario."""
    return {
        "name": "Renewal at Harbor Freight Co",
        "description": "A logistics buyer whose renewal is at risk.",
        "persona": {"name": "Greta Holm", "title": "Head of Logistics",
                    "personality": "dry, numbers-driven, hates surprises",
                    "company": "Harbor Freight Co"},
        "company_background": "A 400-person freight forwarder in Rotterdam.",
        "call_type": "closing", "difficulty": "easy", "language": "de",
        "pains": ["our container tracking is three days behind reality",
                  "customs paperwork eats two people full time"],
        "objections": ["We signed with your rival last spring.",
                       "Our IT team has no capacity this quarter."],
        "success_criteria": "the rep ties the renewal to the tracking delay",
        "first_message": "Holm here, I have a truck waiting, be quick.",
        **changes,
    }


async def created(client, tokens, **changes) -> dict:
    response = await client.post(PATH, headers=bearer(tokens), json=scenario_body(**changes))
    assert response.status_code == 201, response.text
    return response.json()


def stored_scenarios(owner_url) -> list[tuple]:
    """Every company scenario row, as the superuser sees it."""
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        return conn.execute(
            "SELECT id::text, company_id::text, name, archived_at, updated_at, scorecard_id::text"
            " FROM scenarios ORDER BY created_at, id").fetchall()


def audit_actions(owner_url, company_id: str) -> list[tuple[str, str]]:
    with psycopg.connect(libpq_dsn(owner_url)) as conn:
        rows = conn.execute(
            "SELECT action, target_id::text FROM audit_logs WHERE company_id = %s"
            " AND action LIKE 'scenario.%%' ORDER BY created_at, id", (company_id,)).fetchall()
    return [(r[0], r[1]) for r in rows]
