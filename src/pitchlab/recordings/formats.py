"""Upload formats of a recording: what a file is, judged by its bytes, and the speaker turns of a
meeting transcript. Pure functions, no I/O.

``sniff`` reads only the first bytes of a file, never its name (a text file renamed ``.mp3`` is
still text): audio in wav, mp3, m4a/mp4, webm or ogg; transcripts in WebVTT or SRT.

``parse_transcript`` reads speaker names the way the meeting tools export them:

- Zoom: WebVTT, numbered cues, each payload ``Name: text``; a dial-in's cue may have no name.
- Microsoft Teams: WebVTT, cue ids like ``<guid>/12-0``, payload ``<v Name>text</v>`` (the
  closing tag is sometimes missing, a payload may span lines, one speaker's sentence is split
  over several cues that are not always in time order).
- SRT with ``Name: text`` (or ``[Name] text``) payloads.
- Google Meet has no WebVTT or SRT export with speaker names (its own transcript is a Google
  Doc); a Meet caption file whose payloads read ``Name: text``, as browser extensions write
  them, is read like Zoom's. A file that names no speaker at all is refused with a message that
  says so, since a call cannot be scored without knowing who the rep is.

The parser is our own and small: the speaker conventions above need handling that a general
WebVTT/SRT library does not give, and every refusal must tell the uploader which line is wrong.
"""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

SNIFF_BYTES = 4096
MAX_CUES = 50_000
# A "Name:" prefix longer than this is a sentence with a colon, not a display name.
MAX_NAME_CHARS = 60
# Who speaks the cues before the first named one (the rule is "the previous cue's speaker").
UNKNOWN_SPEAKER = "Unknown"
VTT = "text/vtt"
SRT = "application/x-subrip"


@dataclass(frozen=True)
class FileKind:
    kind: Literal["audio", "transcript"]
    media_type: str
    extension: str


WAV = FileKind("audio", "audio/wav", "wav")
MP3 = FileKind("audio", "audio/mpeg", "mp3")
MP4 = FileKind("audio", "audio/mp4", "m4a")
WEBM = FileKind("audio", "audio/webm", "webm")
OGG = FileKind("audio", "audio/ogg", "ogg")
WEBVTT = FileKind("transcript", VTT, "vtt")
SUBRIP = FileKind("transcript", SRT, "srt")


@dataclass(frozen=True)
class Cue:
    """One speaker turn: consecutive cues of the same speaker merged."""

    speaker: str
    text: str
    start_seconds: float
    end_seconds: float


class InvalidTranscript(ValueError):
    """A transcript we cannot read. The message is for the uploader: what is wrong and where."""


# --- sniffing ------------------------------------------------------------------------------------


def sniff(head: bytes) -> FileKind | None:
    """The kind of file whose first bytes are ``head`` (only the first 4096 are looked at), or
    None when it is none of the accepted formats."""
    head = head[:SNIFF_BYTES]
    # Binary signatures first: they are exact, while the text checks only look for a shape.
    for matches, kind in _SIGNATURES:
        if matches(head):
            return kind
    return None


def _is_wav(head: bytes) -> bool:
    # RF64 is the same layout for files over 4 GB.
    return head[:4] in (b"RIFF", b"RF64") and head[8:12] == b"WAVE"


def _is_ogg(head: bytes) -> bool:
    return head.startswith(b"OggS")


# ISO base media brands that audio recorders and meeting tools write (the file is an mp4
# container whatever the brand; QuickTime's "qt  " and DRM'd "M4P " are not accepted).
_MP4_BRANDS = frozenset({
    b"M4A ", b"M4B ", b"F4A ", b"mp41", b"mp42", b"isom", b"iso2", b"iso4", b"iso5", b"iso6",
    b"dash", b"MSNV", b"3gp4", b"3gp5", b"3gp6", b"3g2a", b"avc1",
})


def _is_mp4(head: bytes) -> bool:
    if head[4:8] != b"ftyp":
        return False
    box_end = min(int.from_bytes(head[:4], "big"), len(head))
    # The major brand, then the compatible brands up to the end of the ftyp box.
    brands = [head[8:12]] + [head[at:at + 4] for at in range(16, box_end - 3, 4)]
    return any(brand in _MP4_BRANDS for brand in brands)


def _is_webm(head: bytes) -> bool:
    # Matroska (.mkv) shares the EBML header; only its DocType tells webm apart.
    return _ebml_doctype(head) == b"webm"


def _ebml_doctype(head: bytes) -> bytes | None:
    """The DocType of an EBML header (the first element of a webm/Matroska file)."""
    if not head.startswith(b"\x1a\x45\xdf\xa3"):
        return None
    header = _read_vint(head, 4)
    if header is None:
        return None
    size, at = header
    end = min(len(head), at + size)
    while at < end:
        element_id = _read_vint(head, at, keep_marker=True)
        length = _read_vint(head, element_id[1]) if element_id else None
        if element_id is None or length is None:
            return None
        size, at = length
        if element_id[0] == 0x4282:  # DocType
            return head[at:at + size]
        at += size
    return None


def _read_vint(data: bytes, at: int, keep_marker: bool = False) -> tuple[int, int] | None:
    """An EBML variable-length integer at ``at``: (value, position after it). The count of
    leading zero bits in the first byte says how many bytes follow; ids keep the marker bit."""
    if at >= len(data) or data[at] == 0:
        return None
    width = 8 - data[at].bit_length() + 1
    if at + width > len(data):
        return None
    value = int.from_bytes(data[at:at + width], "big")
    if not keep_marker:
        value &= (1 << (7 * width)) - 1
    return value, at + width


def _is_mp3(head: bytes) -> bool:
    return _is_id3v2(head) or _is_mpeg_audio_frame(head[:4])


def _is_id3v2(head: bytes) -> bool:
    # "ID3", major version 2-4, a revision that is not 0xFF, a size of four 7-bit bytes. The
    # frame after the tag is not checked: cover art can push it past the sniffed bytes.
    return (len(head) >= 10 and head.startswith(b"ID3") and head[3] in (2, 3, 4)
            and head[4] != 0xFF and all(byte < 0x80 for byte in head[6:10]))


def _is_mpeg_audio_frame(header: bytes) -> bool:
    """An MPEG Layer III frame header: 11 sync bits, then no reserved value in the fields.

    Only Layer III is mp3. Accepting Layers I and II too would take a UTF-16 text's byte-order
    mark (FF FE) for a Layer I frame."""
    if len(header) < 4 or header[0] != 0xFF or header[1] & 0xE0 != 0xE0:
        return False
    version = (header[1] >> 3) & 0b11  # 01 is reserved
    layer = (header[1] >> 1) & 0b11  # 01 is Layer III (ADTS AAC has 00 here)
    bitrate = header[2] >> 4  # 1111 is invalid
    sample_rate = (header[2] >> 2) & 0b11  # 11 is reserved
    emphasis = header[3] & 0b11  # 10 is reserved
    return (version != 0b01 and layer == 0b01 and bitrate != 0b1111
            and sample_rate != 0b11 and emphasis != 0b10)


def _is_webvtt(head: bytes) -> bool:
    text = head.removeprefix(codecs.BOM_UTF8)
    return text.startswith(b"WEBVTT") and text[6:7] in (b"", b" ", b"\t", b"\n", b"\r")


# hours in one to three digits, as the parser reads them
_SRT_TIMING = re.compile(r"\d{1,3}:\d{2}:\d{2},\d{3}[ \t]*-->[ \t]*\d{1,3}:\d{2}:\d{2},\d{3}")


def _is_srt(head: bytes) -> bool:
    """Blank lines, an integer line, then an SRT timing line."""
    if b"\0" in head:  # UTF-16 or binary
        return False
    # Decoding leniently on purpose: a cp1252 SRT is still an SRT, and parse_transcript then
    # tells the uploader to save it as UTF-8 (a clearer answer than "unsupported type").
    text = head.removeprefix(codecs.BOM_UTF8).decode("utf-8", errors="replace")
    lines = [line.strip() for line in _split_lines(text)]
    first = next((at for at, line in enumerate(lines) if line), len(lines))
    return (first + 1 < len(lines) and lines[first].isascii() and lines[first].isdigit()
            and _SRT_TIMING.match(lines[first + 1]) is not None)


_SIGNATURES: tuple[tuple[Callable[[bytes], bool], FileKind], ...] = (
    (_is_wav, WAV), (_is_ogg, OGG), (_is_webm, WEBM), (_is_mp4, MP4), (_is_mp3, MP3),
    (_is_webvtt, WEBVTT), (_is_srt, SUBRIP),
)


# --- transcripts ---------------------------------------------------------------------------------


def decode_transcript(data: bytes) -> str:
    """The text of an uploaded transcript file (UTF-8, with or without a byte-order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise InvalidTranscript(
            f"line {line}: the transcript is not UTF-8 text; export or save it as UTF-8 and "
            "upload it again") from None


def parse_transcript(text: str | bytes, media_type: str) -> list[Cue]:
    """The speaker turns of a WebVTT (``text/vtt``) or SRT (``application/x-subrip``)
    transcript, sorted by start time. Bytes are decoded as UTF-8 first."""
    if isinstance(text, bytes):
        text = decode_transcript(text)
    lines = _split_lines(text.removeprefix("\ufeff"))
    if not any(line.strip() for line in lines):
        raise InvalidTranscript("the transcript file is empty")
    if media_type == VTT:
        cues = _vtt_cues(lines)
    elif media_type == SRT:
        cues = _srt_cues(lines)
    else:
        raise ValueError(f"not a transcript media type: {media_type!r}")
    return _turns(cues)


@dataclass(frozen=True)
class _RawCue:
    start: float
    end: float
    voice: str | None  # the name in a leading <v Name> span
    payload: str  # the text without tags, entities decoded


def _split_lines(text: str) -> list[str]:
    # Only CR, LF and CRLF end a line in WebVTT and SRT (str.splitlines also splits on
    # characters such as U+2028, which would shift the line numbers in our messages).
    return re.split(r"\r\n|\r|\n", text)


def _blocks(lines: list[str]) -> Iterator[tuple[int, list[str]]]:
    """The blank-line separated blocks, each with the (1-based) number of its first line."""
    block: list[str] = []
    first = 0
    for number, line in enumerate(lines, start=1):
        if line.strip():
            first = first if block else number
            block.append(line)
        elif block:
            yield first, block
            block = []
    if block:
        yield first, block


_VTT_HEADER = re.compile(r"WEBVTT(?:[ \t]|$)")
# Blocks that are not cues: comments, style sheets, region definitions.
_VTT_NOT_A_CUE = re.compile(r"(?:NOTE|STYLE|REGION)(?:[ \t]|$)")
_VTT_EXAMPLE = "00:01:02.500 --> 00:01:04.000"
_SRT_EXAMPLE = "00:01:02,500 --> 00:01:04,000"


def _vtt_cues(lines: list[str]) -> list[_RawCue]:
    if not _VTT_HEADER.match(lines[0]):
        raise InvalidTranscript("line 1: a WebVTT file must start with WEBVTT")
    blocks = _blocks(lines)
    next(blocks)  # the header: WEBVTT and the optional lines below it
    cues = []
    for first, block in blocks:
        if not _VTT_NOT_A_CUE.match(block[0]):
            cues.append(_cue(first, block, _VTT_EXAMPLE))
            _check_count(cues)
    return cues


def _srt_cues(lines: list[str]) -> list[_RawCue]:
    cues = []
    for first, block in _blocks(lines):
        cues.append(_cue(first, block, _SRT_EXAMPLE))
        _check_count(cues)
    return cues


def _check_count(cues: list[_RawCue]) -> None:
    # Stop as soon as the limit is passed: no need to read the rest of a huge file.
    if len(cues) > MAX_CUES:
        raise InvalidTranscript(
            f"the transcript has more than {MAX_CUES:,} cues; upload a shorter call")


_TIMESTAMP = r"(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)[.,](\d{3})"
# Cue settings (WebVTT "align:start position:10%") may follow the end time.
_TIMING = re.compile(rf"\s*{_TIMESTAMP}\s*-->\s*{_TIMESTAMP}(?:\s.*)?")


def _cue(first: int, block: list[str], example: str) -> _RawCue:
    """A cue block: an optional identifier line, the timing line, the payload lines."""
    at = 0 if "-->" in block[0] else 1
    if at >= len(block) or "-->" not in block[at]:
        raise InvalidTranscript(f"line {first}: expected a timing line such as {example}")
    start, end = _timing(block[at], first + at, example)
    for offset, line in enumerate(block[at + 1:], start=first + at + 1):
        if _TIMING.fullmatch(line):  # two cues run together: the blank line between is missing
            raise InvalidTranscript(f"line {offset}: a blank line must come before each cue")
    voice, payload = _payload(" ".join(block[at + 1:]))
    return _RawCue(start, end, voice, payload)


def _timing(line: str, number: int, example: str) -> tuple[float, float]:
    match = _TIMING.fullmatch(line)
    if match is None:
        raise InvalidTranscript(
            f"line {number}: the timestamps are malformed; expected a line such as {example}")
    start, end = _seconds(match.groups()[:4]), _seconds(match.groups()[4:])
    if end < start:
        raise InvalidTranscript(f"line {number}: the cue ends before it starts")
    return start, end


def _seconds(parts: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, millis = (int(part or 0) for part in parts)
    # Summed in whole milliseconds, divided once: 5.56 stays 5.56, not 5.5600000000000005.
    return (((hours * 60 + minutes) * 60 + seconds) * 1000 + millis) / 1000


# <v Name> or <v.class Name>, at the start of the payload (Teams).
_VOICE = re.compile(r"\s*<v(?:\.[^\s>]*)?[ \t]+([^>]*)>")
# Any tag: <b>, </i>, <c.yellow>, </v>, <00:00:01.000>, SRT's <font color=...>.
_TAG = re.compile(r"<[^>]*>")
# SRT files made from ASS subtitles carry positioning codes such as {\an8}.
_ASS_CODE = re.compile(r"\{\\[^}]*\}")


def _payload(raw: str) -> tuple[str | None, str]:
    voice = None
    match = _VOICE.match(raw)
    if match:
        voice = _clean(match.group(1)) or None
        raw = raw[match.end():]
    return voice, _clean(raw)


def _clean(raw: str) -> str:
    # Tags go before entities are decoded, so "&lt;b&gt;" stays text.
    text = _TAG.sub(" ", _ASS_CODE.sub("", raw))
    return " ".join(html.unescape(text).split())


# "Jane Doe: text" (Zoom, Meet, SRT) and "[Jane Doe] text" (SRT); broadcast captions may lead
# with ">>" or "-".
_COLON_NAME = re.compile(rf"(?:>>|-)?\s*([^:]{{1,{MAX_NAME_CHARS}}}):(?:\s+(.*))?")
_BRACKET_NAME = re.compile(rf"(?:>>|-)?\s*\[([^\]]{{1,{MAX_NAME_CHARS}}})\]\s*(.*)")


def _name_prefix(payload: str) -> tuple[str | None, str]:
    """(name, text after it), or (None, payload) when it does not start with a name."""
    match = _BRACKET_NAME.fullmatch(payload) or _COLON_NAME.fullmatch(payload)
    if match is None or not match.group(1).strip():
        return None, payload
    return match.group(1).strip(), match.group(2) or ""


def _speakers(cues: list[_RawCue]) -> list[tuple[str | None, str]]:
    """Each cue's speaker (None when it names none) and its text without the name."""
    if any(cue.voice for cue in cues):
        # A voice-span file (Teams): a "Word:" at the start of the text is what was said.
        return [(cue.voice, cue.payload) for cue in cues]
    prefixed = [_name_prefix(cue.payload) for cue in cues]
    named = sum(1 for name, _ in prefixed if name)
    if named * 2 < len(cues):
        # Mostly unnamed: a caption file, where "Note: ..." is speech, not a speaker.
        return [(None, cue.payload) for cue in cues]
    return prefixed


def _turns(cues: list[_RawCue]) -> list[Cue]:
    spoken = [cue for cue in cues if cue.payload]
    if not spoken:
        raise InvalidTranscript("the transcript has no text: every cue is empty")
    named = _speakers(spoken)
    if not any(name for name, _ in named):
        raise InvalidTranscript(
            "no speaker names in the transcript (such as 'Jane Doe: text' or "
            "'<v Jane Doe>text</v>'): export the transcript with speaker names")
    # sorted() is stable: cues that start together keep their order in the file.
    order = sorted(range(len(spoken)), key=lambda at: spoken[at].start)
    turns: list[Cue] = []
    speaker = UNKNOWN_SPEAKER
    for at in order:
        name, text = named[at]
        speaker = name or speaker
        if text:
            _add(turns, Cue(speaker, text, spoken[at].start, spoken[at].end))
    return turns


def _add(turns: list[Cue], cue: Cue) -> None:
    """Append the cue, or extend the last turn when the same speaker goes on."""
    last = turns[-1] if turns else None
    if last is None or last.speaker != cue.speaker:
        turns.append(cue)
        return
    turns[-1] = Cue(last.speaker, f"{last.text} {cue.text}", last.start_seconds,
                    max(last.end_seconds, cue.end_seconds))
