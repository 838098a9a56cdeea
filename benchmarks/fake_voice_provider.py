"""A bare ElevenLabs-protocol echo server for benchmarks: ``get-signed-url`` over HTTP, then a
WebSocket that answers each ``user_audio_chunk`` with an ``audio`` event carrying the same bytes.

It does as little as the protocol allows (no JSON parsing on the audio path), so its CPU per frame
is one hop's floor. Run: python benchmarks/fake_voice_provider.py PORT
"""

from __future__ import annotations

import asyncio
import json
import sys
from http import HTTPStatus

import uvloop
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.http11 import Response

AUDIO_PREFIX = '{"user_audio_chunk":"'
METADATA = json.dumps({"type": "conversation_initiation_metadata",
                       "conversation_initiation_metadata_event": {
                           "conversation_id": "conv_bench",
                           "agent_output_audio_format": "pcm_16000",
                           "user_input_audio_format": "pcm_16000"}})


def make_signed_url_responder(port: int):
    def respond(_connection, request):
        if request.path.startswith("/v1/convai/conversation/get-signed-url"):
            signed_url = f"ws://127.0.0.1:{port}/v1/convai/conversation?s=1"
            body = json.dumps({"signed_url": signed_url}).encode()
            return Response(HTTPStatus.OK, "OK", Headers({"content-type": "application/json",
                                                         "content-length": str(len(body))}), body)
        return None
    return respond


async def conversation(ws) -> None:
    await ws.recv()  # conversation_initiation_client_data
    await ws.send(METADATA)
    event_id = 0
    async for raw in ws:
        if raw.startswith(AUDIO_PREFIX):
            event_id += 1
            chunk = raw[len(AUDIO_PREFIX):-2]
            await ws.send('{"type":"audio","audio_event":{"audio_base_64":"' + chunk
                          + '","event_id":' + str(event_id) + "}}")


async def main(port: int) -> None:
    async with serve(conversation, "127.0.0.1", port,
                     process_request=make_signed_url_responder(port),
                     compression=None, max_size=16 * 1024 * 1024):
        print("ready", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    uvloop.run(main(int(sys.argv[1])))
