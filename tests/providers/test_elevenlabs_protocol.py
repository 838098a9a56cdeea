"""The ElevenLabs Conversational AI messages as bytes: each builder writes exactly what the
stream, the text path and the relay have always put on the wire, and each reader finds what the
vendor's shapes carry."""

from __future__ import annotations

import pytest

from pitchlab.providers import elevenlabs_protocol as protocol


@pytest.mark.parametrize(("message", "wire"), [
    (protocol.initiation_metadata(protocol.metadata_event("sess-1")),
     '{"type": "conversation_initiation_metadata", "conversation_initiation_metadata_event": '
     '{"conversation_id": "sess-1", "agent_output_audio_format": "pcm_16000", '
     '"user_input_audio_format": "pcm_16000"}}'),
    (protocol.agent_response("Hi."),
     '{"type": "agent_response", "agent_response_event": {"agent_response": "Hi."}}'),
    (protocol.agent_response("Hi.", 3),
     '{"type": "agent_response", "agent_response_event": {"agent_response": "Hi.", '
     '"event_id": 3}}'),
    (protocol.user_transcript("Hello"),
     '{"type": "user_transcript", "user_transcription_event": {"user_transcript": "Hello"}}'),
    (protocol.session_status(minutes_remaining=7, seconds_elapsed=61, minutes_billed=2),
     '{"type": "session_status", "minutes_remaining": 7, "seconds_elapsed": 61, '
     '"minutes_billed": 2}'),
    (protocol.invalid_message("the frame is not valid JSON"),
     '{"type": "error", "error_event": {"code": 1008, "error_type": "invalid_message", '
     '"message": "the frame is not valid JSON"}}'),
    (protocol.provider_failure("the voice provider ended the call (1011)"),
     '{"type": "error", "error_event": {"code": 1011, "error_type": "provider_failure", '
     '"message": "the voice provider ended the call (1011)"}}'),
    (protocol.audio_not_supported(),
     '{"type": "error", "error_event": {"code": 1003, "error_type": "audio_not_supported", '
     '"message": "The offline prospect talks in text: send user_message."}}'),
    (protocol.pong(42), '{"type": "pong", "event_id": 42}'),
])
def test_each_message_is_written_as_the_wire_has_always_carried_it(message, wire):
    assert protocol.encode(message) == wire


@pytest.mark.parametrize("text_only", [False, True])
def test_the_relay_opens_a_hosted_agent_with_the_prospect_and_text_only_when_asked(text_only):
    message = protocol.client_initiation(prompt="You are Marcus.", first_message="Marcus here.",
                                         language="de", text_only=text_only,
                                         dynamic_variables={"scenario": "discovery-busy-vp"})
    conversation = ', "conversation": {"text_only": true}' if text_only else ""
    assert protocol.encode(message) == (
        '{"type": "conversation_initiation_client_data", "conversation_config_override": '
        '{"agent": {"prompt": {"prompt": "You are Marcus."}, "first_message": "Marcus here.", '
        '"language": "de"}'
        f'{conversation}}}, "dynamic_variables": {{"scenario": "discovery-busy-vp"}}, '
        '"custom_llm_extra_body": {}}'
    )


@pytest.mark.parametrize(("initiation", "text_only"), [
    ({}, False),
    ({"conversation_config_override": None}, False),
    ({"conversation_config_override": {"text_only": True}}, True),  # the Python SDK
    ({"conversation_config_override": {"conversation": {"text_only": True}}}, True),  # JS SDK
    ({"conversation_config_override": {"conversation": {"text_only": False}}}, False),
])
def test_text_only_is_read_where_either_sdk_puts_it(initiation, text_only):
    assert protocol.wants_text_only(initiation) is text_only


@pytest.mark.parametrize(("raw", "problem"), [
    ("not json", "the frame is not valid JSON"),
    ("[1, 2]", "the frame is not a JSON object"),
    ('"text"', "the frame is not a JSON object"),
    ("[" * 100_000, "the frame is nested too deeply"),
])
def test_a_client_frame_that_is_not_a_json_object_says_why(raw, problem):
    with pytest.raises(protocol.InvalidFrame, match=problem):
        protocol.parse_client_frame(raw)


def test_audio_is_the_one_client_message_without_a_type():
    assert protocol.looks_like_audio('{"user_audio_chunk":"AAAA"}')
    assert not protocol.looks_like_audio('{ "user_audio_chunk": "AAAA"}')  # parsed instead
    assert not protocol.looks_like_audio('{"user_audio_chunk":"AAAA","type":"user_message"}')
    assert protocol.is_audio(protocol.parse_client_frame('{ "user_audio_chunk": "AAAA"}'))
    assert not protocol.is_audio({"user_audio_chunk": "AAAA", "type": "user_message"})


def test_only_an_initiation_first_is_taken_as_one():
    initiation = {"type": protocol.CLIENT_INITIATION, "dynamic_variables": {}}
    assert protocol.initiation_of(initiation) is initiation
    assert protocol.initiation_of({"type": "user_message", "text": "hi"}) == {}
    assert protocol.initiation_of(None) == {}


def test_what_was_said_is_read_from_the_events_that_carry_it():
    said = {"type": "agent_response", "agent_response_event": {"agent_response": "Go on."}}
    corrected = {"type": "agent_response_correction", "agent_response_correction_event": {
        "original_agent_response": "Go on, I", "corrected_agent_response": "Go on"}}
    heard = {"type": "user_transcript", "user_transcription_event": {"user_transcript": "Hi"}}
    assert (protocol.agent_response_in(said), protocol.correction_in(said),
            protocol.user_transcript_in(said)) == ("Go on.", None, None)
    assert (protocol.agent_response_in(corrected), protocol.correction_in(corrected),
            protocol.user_transcript_in(corrected)) == (None, "Go on", None)
    assert (protocol.agent_response_in(heard), protocol.correction_in(heard),
            protocol.user_transcript_in(heard)) == (None, None, "Hi")


def test_the_agents_event_ids_are_read_from_their_own_events_only():
    audio = protocol.parse_agent_frame(b'{"type":"audio","audio_event":{"audio_base_64":"AA",'
                                       b'"event_id":"7"}}')
    assert protocol.audio_event_id(audio) == 7
    assert protocol.audio_event_id({"type": "audio", "audio_event": {}}) == 0
    assert protocol.ping_event_id({"type": "ping", "ping_event": {"event_id": 5}}) == 5
    assert protocol.interruption_event_id(
        {"type": "interruption", "interruption_event": {"event_id": "9"}}) == 9
    for reader in (protocol.audio_event_id, protocol.ping_event_id,
                   protocol.interruption_event_id):
        assert reader({"type": "agent_response"}) is None
    assert protocol.error_type_in({"type": "error", "error_event": {"error_type": "quota"}}) == (
        "quota")
    assert protocol.error_type_in({"type": "error"}) is None
    assert protocol.metadata_in({"type": "conversation_initiation_metadata",
                                 "conversation_initiation_metadata_event": {"a": 1}}) == {"a": 1}
    assert protocol.metadata_in({"type": "ping"}) is None
