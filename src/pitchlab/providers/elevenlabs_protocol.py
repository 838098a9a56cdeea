"""The ElevenLabs Conversational AI protocol: every message of a practice call, read and built
here and nowhere else (as pipecat keeps its serializers apart from its transports).

Three parties speak it: the stream's client (an ElevenLabs SDK, a browser), the hosted agent
behind the relay, and the offline prospect, so that the stream never knows which one it talks
to. A message is a JSON object with a ``type`` and its payload under ``<type>_event`` (the
vendor's shapes); the client's audio chunk ``{"user_audio_chunk": ...}`` alone has no type.
``session_status`` is Pitchlab's own addition (clients ignore types they do not know).

Messages are encoded with ``json.dumps`` and its default separators, key order as built here:
these are the bytes the SDKs and the relay's tests have always seen.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal, NotRequired, TypedDict

import orjson
from pydantic import BaseModel

# A message as read: a JSON object, kept whole (what we pass on, we pass on as it came).
Message = dict[str, Any]

AUDIO_FORMAT = "pcm_16000"
# The vendor's HTTP side: a signed URL for a conversation, asked for with an API key.
SIGNED_URL_PATH = "/v1/convai/conversation/get-signed-url"
API_KEY_HEADER = "xi-api-key"

CLIENT_INITIATION = "conversation_initiation_client_data"
INITIATION_METADATA = "conversation_initiation_metadata"
USER_MESSAGE = "user_message"
CONTEXTUAL_UPDATE = "contextual_update"
PONG = "pong"
# What a client may have forwarded to a hosted agent; everything else stays with us.
FORWARDED_CLIENT_TYPES = frozenset(
    {USER_MESSAGE, "user_activity", CONTEXTUAL_UPDATE, "client_tool_result"}
)

# Error codes of our own error messages (the WebSocket close codes they go with).
INVALID_MESSAGE_CODE = 1008
AUDIO_NOT_SUPPORTED_CODE = 1003
PROVIDER_FAILURE_CODE = 1011


# The answer of GET SIGNED_URL_PATH. (No docstring: it would become the OpenAPI description.)
class SignedUrlOut(BaseModel):
    signed_url: str


# --- messages, as built -----------------------------------------------------------------------

class InitiationMetadataEvent(TypedDict):
    conversation_id: str
    agent_output_audio_format: str
    user_input_audio_format: str


class InitiationMetadata(TypedDict):
    type: Literal["conversation_initiation_metadata"]
    # the hosted agent's own event, passed on with whatever it holds
    conversation_initiation_metadata_event: Mapping[str, Any]


class AgentResponseEvent(TypedDict):
    agent_response: str
    event_id: NotRequired[int]


class AgentResponse(TypedDict):
    type: Literal["agent_response"]
    agent_response_event: AgentResponseEvent


class UserTranscriptionEvent(TypedDict):
    user_transcript: str


class UserTranscript(TypedDict):
    type: Literal["user_transcript"]
    user_transcription_event: UserTranscriptionEvent


class ErrorEvent(TypedDict):
    code: int
    error_type: str
    message: str


class Error(TypedDict):
    type: Literal["error"]
    error_event: ErrorEvent


class SessionStatus(TypedDict):
    type: Literal["session_status"]
    minutes_remaining: int
    seconds_elapsed: int
    minutes_billed: int


class Pong(TypedDict):
    type: Literal["pong"]
    event_id: int


class AgentPrompt(TypedDict):
    prompt: str


class AgentOverride(TypedDict):
    prompt: AgentPrompt
    first_message: str
    language: str


class ConversationOverride(TypedDict):
    text_only: bool


class ConfigOverride(TypedDict):
    agent: AgentOverride
    conversation: NotRequired[ConversationOverride]


class ClientInitiation(TypedDict):
    type: Literal["conversation_initiation_client_data"]
    conversation_config_override: ConfigOverride
    dynamic_variables: dict[str, str]
    custom_llm_extra_body: dict[str, Any]


# Any message we build for a client.
ServerMessage = InitiationMetadata | AgentResponse | UserTranscript | Error | SessionStatus


def metadata_event(conversation_id: str) -> InitiationMetadataEvent:
    return {"conversation_id": conversation_id, "agent_output_audio_format": AUDIO_FORMAT,
            "user_input_audio_format": AUDIO_FORMAT}


def initiation_metadata(event: Mapping[str, Any]) -> InitiationMetadata:
    return {"type": "conversation_initiation_metadata",
            "conversation_initiation_metadata_event": event}


def agent_response(text: str, event_id: int | None = None) -> AgentResponse:
    event: AgentResponseEvent = {"agent_response": text}
    if event_id is not None:
        event["event_id"] = event_id
    return {"type": "agent_response", "agent_response_event": event}


def user_transcript(text: str) -> UserTranscript:
    return {"type": "user_transcript", "user_transcription_event": {"user_transcript": text}}


def error(code: int, error_type: str, message: str) -> Error:
    return {"type": "error", "error_event": {"code": code, "error_type": error_type,
                                             "message": message}}


def invalid_message(reason: str) -> Error:
    """A client message we will not act on, and why."""
    return error(INVALID_MESSAGE_CODE, "invalid_message", reason)


def provider_failure(reason: str) -> Error:
    return error(PROVIDER_FAILURE_CODE, "provider_failure", reason)


def audio_not_supported() -> Error:
    return error(AUDIO_NOT_SUPPORTED_CODE, "audio_not_supported",
                 "The offline prospect talks in text: send user_message.")


def session_status(*, minutes_remaining: int, seconds_elapsed: int,
                   minutes_billed: int) -> SessionStatus:
    return {"type": "session_status", "minutes_remaining": minutes_remaining,
            "seconds_elapsed": seconds_elapsed, "minutes_billed": minutes_billed}


def pong(event_id: int) -> Pong:
    return {"type": "pong", "event_id": event_id}


def client_initiation(*, prompt: str, first_message: str, language: str, text_only: bool,
                      dynamic_variables: dict[str, str]) -> ClientInitiation:
    """How we open a hosted agent's conversation: who it plays, its first line, the language
    it speaks, and whether the call is in text only."""
    override: ConfigOverride = {"agent": {"prompt": {"prompt": prompt},
                                          "first_message": first_message,
                                          "language": language}}
    if text_only:
        override["conversation"] = {"text_only": True}
    return {"type": "conversation_initiation_client_data",
            "conversation_config_override": override, "dynamic_variables": dynamic_variables,
            "custom_llm_extra_body": {}}


def encode(message: Mapping[str, Any]) -> str:
    return json.dumps(message)


# --- messages, as read ------------------------------------------------------------------------

class InvalidFrame(ValueError):
    """A client frame that is not a JSON object we can read."""


def parse_client_frame(raw: str) -> Message:
    """A client's frame, which may be anything: a JSON object, or InvalidFrame saying why not."""
    try:
        message = json.loads(raw)
    except RecursionError:  # "[[[[..." deeper than the parser goes
        raise InvalidFrame("the frame is nested too deeply") from None
    except ValueError:
        raise InvalidFrame("the frame is not valid JSON") from None
    if not isinstance(message, dict):
        raise InvalidFrame("the frame is not a JSON object")
    return message


def parse_agent_frame(raw: str | bytes) -> Message:
    """A hosted agent's frame (trusted to be a JSON object; read fast, it carries the audio)."""
    message: Message = orjson.loads(raw)
    return message


def looks_like_audio(raw: str) -> bool:
    """An audio chunk as the SDKs write it, told without parsing it (the hot path)."""
    return raw.startswith('{"user_audio_chunk"') and '"type"' not in raw


def is_audio(message: Message) -> bool:
    """An audio chunk, however it was spaced: the one client message without a type."""
    return "user_audio_chunk" in message and "type" not in message


def kind(message: Mapping[str, Any]) -> Any:
    return message.get("type")


def initiation_of(first: Message | None) -> Message:
    """The client's initiation, when its first message was one; else nothing asked for."""
    return first if first and first.get("type") == CLIENT_INITIATION else {}


def wants_text_only(initiation: Mapping[str, Any]) -> bool:
    override = initiation.get("conversation_config_override") or {}
    # The Python SDK puts it at the top of the override, the JS SDK under "conversation".
    return bool(override.get("text_only") or (override.get("conversation") or {}).get("text_only"))


def text_of(message: Mapping[str, Any]) -> Any:
    """A user_message's or contextual_update's text, unchecked (the client's, whatever it is)."""
    return message.get("text")


def metadata_in(message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    if message.get("type") != INITIATION_METADATA:
        return None
    event: Mapping[str, Any] = message["conversation_initiation_metadata_event"]
    return event


def agent_response_in(event: Mapping[str, Any]) -> str | None:
    """What the agent said, when ``event`` is an agent_response."""
    if event.get("type") != "agent_response":
        return None
    text: str = event["agent_response_event"]["agent_response"]
    return text


def correction_in(event: Mapping[str, Any]) -> str | None:
    """What the agent really said before it was interrupted, when ``event`` corrects it."""
    if event.get("type") != "agent_response_correction":
        return None
    text: str = event["agent_response_correction_event"]["corrected_agent_response"]
    return text


def user_transcript_in(event: Mapping[str, Any]) -> str | None:
    """What the user was heard saying, when ``event`` is a user_transcript."""
    if event.get("type") != "user_transcript":
        return None
    text: str = event["user_transcription_event"]["user_transcript"]
    return text


def audio_event_id(message: Mapping[str, Any]) -> int | None:
    """An agent audio message's event id (0 when it has none); None for any other message."""
    if message.get("type") != "audio":
        return None
    return int(message["audio_event"].get("event_id", 0))


def ping_event_id(message: Mapping[str, Any]) -> int | None:
    if message.get("type") != "ping":
        return None
    event_id: int = message["ping_event"]["event_id"]
    return event_id


def interruption_event_id(message: Mapping[str, Any]) -> int | None:
    if message.get("type") != "interruption":
        return None
    return int(message["interruption_event"]["event_id"])


def error_type_in(message: Mapping[str, Any]) -> str | None:
    """An error message's type (None when it names none, or is not an error)."""
    if message.get("type") != "error":
        return None
    error_type: str | None = (message.get("error_event") or {}).get("error_type")
    return error_type
