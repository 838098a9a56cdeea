"""The official ElevenLabs Python SDK holds a text conversation with Pitchlab's offline prospect,
using Pitchlab as its server: signed URL from our access token, then the stream."""

from __future__ import annotations

import asyncio

from elevenlabs.client import ElevenLabs
from elevenlabs.conversational_ai.conversation import AsyncConversation

from tests.auth.helpers import bearer
from tests.practice.helpers import rep, start

REP_LINES = [
    "Hi Marcus, thanks for taking my call.",
    "What are your biggest challenges with getting new reps to quota?",
    "How do your managers coach calls today?",
]


async def test_the_python_sdk_talks_to_the_offline_prospect(
    client, app, owner_url, live_server, public_url_is_live_server
):
    tokens = await rep(client, app, owner_url)
    session = await start(client, tokens, mode="voice", scenario_id="discovery-busy-vp")
    replies: asyncio.Queue[str] = asyncio.Queue()

    async def on_agent_response(text: str) -> None:
        await replies.put(text)

    sdk = ElevenLabs(api_key=tokens["access_token"], base_url=live_server)
    conversation = AsyncConversation(
        sdk, session["id"], requires_auth=True, callback_agent_response=on_agent_response,
    )
    await conversation.start_session()
    opening = await asyncio.wait_for(replies.get(), 10)  # arrives once the socket is up
    assert opening.startswith("Marcus speaking")
    answers = []
    for line in REP_LINES:
        await conversation.send_user_message(line)
        answers.append(await asyncio.wait_for(replies.get(), 10))
    await conversation.end_session()
    conversation_id = await asyncio.wait_for(conversation.wait_for_session_end(), 10)
    assert conversation_id == session["id"]
    assert answers[1].startswith("Well, since you ask")

    transcript = (await client.get(f"/api/sessions/{session['id']}/transcript",
                                   headers=bearer(tokens))).json()
    said = [(t["speaker"], t["text"]) for t in transcript["turns"]]
    assert said == [("prospect", opening),
                    *[pair for line, answer in zip(REP_LINES, answers, strict=True)
                      for pair in (("rep", line), ("prospect", answer))]]
