"""Turn times of text calls fit inside the call, the prospect's opening line is in every
transcript, and ``end_reason`` says who ended the call (issue 9)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from websockets.asyncio.client import connect

from pitchlab.practice import service
from pitchlab.practice.turns import spoken_ms
from tests.auth.helpers import bearer
from tests.practice.helpers import INIT, closed_with, ndjson, opened, recv, rep, start, ws_url
from tests.practice.test_mid_call import colleague

OPENING = "Marcus speaking. I've got about ten minutes, go ahead."  # discovery-busy-vp's
LINES = [
    "Hi Marcus, thanks for taking the call, I really appreciate you making the time today.",
    "What are your biggest challenges with getting new reps productive and up to quota?",
    "How do your managers coach calls today, and how much time do they spend on it?",
    "Our platform helps managers coach faster, which means reps ramp in half the time.",
    "That makes sense, I hear you. What happened with the last tool you tried?",
    "Would you be open to a meeting next Thursday at 10am with your enablement lead?",
]


def call_ms(ended: dict) -> int:
    """The call's length on the server's clock, in ms, from its own timestamps."""
    started = datetime.fromisoformat(ended["started_at"])
    return int((datetime.fromisoformat(ended["ended_at"]) - started).total_seconds() * 1000)


def assert_fits(turns: list[dict], duration_ms: int) -> None:
    """In call order, never overlapping, never after the call ended."""
    times = [ms for t in turns for ms in (t["start_ms"], t["end_ms"])]
    assert times == sorted(times), turns
    assert times[0] >= 0 and times[-1] <= duration_ms, (times, duration_ms)


async def _transcript(client, tokens, sid) -> dict:
    response = await client.get(f"/api/sessions/{sid}/transcript", headers=bearer(tokens))
    assert response.status_code == 200
    return response.json()


async def test_a_quick_text_call_keeps_its_turns_inside_the_call(client, app, owner_url):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text", scenario_id="discovery-busy-vp"))["id"]
    for line in LINES:  # typed faster than anyone could say them
        turn = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                                 json={"text": line})
        assert turn.status_code == 200
    live = await _transcript(client, tokens, sid)
    assert [t["text"] for t in live["turns"]][:2] == [OPENING, LINES[0]]
    ended = (await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))).json()
    turns = (await _transcript(client, tokens, sid))["turns"]
    assert [t["speaker"] for t in turns] == ["prospect"] + ["rep", "prospect"] * len(LINES)
    assert turns[0]["text"] == OPENING and turns[0]["start_ms"] == 0
    assert_fits(turns, call_ms(ended))
    talk = sum(t["end_ms"] - t["start_ms"] for t in turns)
    assert talk <= call_ms(ended)


async def test_text_turns_are_placed_when_they_arrived(client, app, owner_url, monkeypatch):
    tokens = await rep(client, app, owner_url)
    sid = (await start(client, tokens, mode="text", scenario_id="discovery-busy-vp"))["id"]
    first = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                              json={"text": LINES[1]})
    assert first.status_code == 200
    real_now = service._now
    monkeypatch.setattr(service, "_now", lambda: real_now() + timedelta(seconds=20))
    second = await client.post(f"/api/sessions/{sid}/stream", headers=bearer(tokens),
                               json={"text": LINES[2]})
    # later turns do not bring the opening line again
    assert [m["type"] for m in ndjson(second)] == ["user_transcript", "session_status",
                                                   "agent_response"]
    ended = (await client.post(f"/api/sessions/{sid}/end", headers=bearer(tokens))).json()
    duration = call_ms(ended)
    assert duration >= 20_000
    opening, rep1, reply1, rep2, reply2 = (await _transcript(client, tokens, sid))["turns"]
    assert_fits([opening, rep1, reply1, rep2, reply2], duration)
    # with time to spare, each turn gets its estimated length: the reply to the first line...
    assert reply1["end_ms"] - reply1["start_ms"] == spoken_ms(reply1["text"])
    # ...and the second line, which ends when it was sent, twenty seconds in
    assert 20_000 <= rep2["end_ms"] <= duration
    assert rep2["end_ms"] - rep2["start_ms"] == spoken_ms(LINES[2])
    # the call ended as the last reply arrived: it is cut there, not left running past the end
    assert reply2["start_ms"] == rep2["end_ms"] and reply2["end_ms"] <= duration


async def test_a_text_call_over_the_stream_fits_the_call_too(client, app, owner_url, live_server):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="text", scenario_id="discovery-busy-vp")
    async with opened(live_server, session) as ws:  # the opening line received
        for line in LINES:
            await ws.send(json.dumps({"type": "user_message", "text": line}))
            await recv(ws, "agent_response")
        ended = (await client.post(f"/api/sessions/{session['id']}/end",
                                   headers=bearer(tokens))).json()
        assert await closed_with(ws) == 1000
    turns = (await _transcript(client, tokens, session["id"]))["turns"]
    assert [t["text"] for t in turns[:2]] == [OPENING, LINES[0]]
    assert [t["speaker"] for t in turns] == ["prospect"] + ["rep", "prospect"] * len(LINES)
    assert_fits(turns, call_ms(ended))


async def test_the_opening_line_after_a_stream_is_not_said_twice(client, app, owner_url,
                                                                  live_server):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="text", scenario_id="discovery-busy-vp")
    async with connect(ws_url(live_server, session)) as ws:
        await ws.send(json.dumps(INIT))
        opening = await recv(ws, "agent_response")
        assert opening["agent_response_event"]["agent_response"] == OPENING
    turn = await client.post(f"/api/sessions/{session['id']}/stream", headers=bearer(tokens),
                             json={"text": LINES[1]})
    assert [m["type"] for m in ndjson(turn)] == ["user_transcript", "session_status",
                                                 "agent_response"]
    turns = (await _transcript(client, tokens, session["id"]))["turns"]
    assert [t["text"] for t in turns][:2] == [OPENING, LINES[1]] and len(turns) == 3


async def _end_reason(client, tokens, sid) -> str:
    return (await client.get(f"/api/sessions/{sid}", headers=bearer(tokens))).json()["end_reason"]


async def test_an_admin_ending_their_own_call_is_its_user_ending_it(client, app, owner_url):
    admin = await rep(client, app, owner_url)  # registered the company: an admin
    assert (await client.get("/api/users/me", headers=bearer(admin))).json()["role"] == "admin"
    sid = (await start(client, admin, mode="text"))["id"]
    ended = await client.post(f"/api/sessions/{sid}/end", headers=bearer(admin))
    assert ended.status_code == 200
    assert await _end_reason(client, admin, sid) == "ended_by_user"


async def test_an_admin_ending_a_colleagues_call_is_named(client, app, owner_url):
    admin = await rep(client, app, owner_url)
    user = await colleague(client, owner_url, admin["email"])
    theirs = (await start(client, user, mode="text"))["id"]
    ended = await client.post(f"/api/sessions/{theirs}/end", headers=bearer(admin))
    assert ended.status_code == 200
    assert await _end_reason(client, user, theirs) == "ended_by_admin"
    own = (await start(client, user, mode="text"))["id"]
    assert (await client.post(f"/api/sessions/{own}/end", headers=bearer(user))).status_code == 200
    assert await _end_reason(client, user, own) == "ended_by_user"
