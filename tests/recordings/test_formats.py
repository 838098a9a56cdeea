"""Upload formats: files recognised by their first bytes, and meeting transcripts (Zoom, Teams,
SRT) read into speaker turns, with a message naming the line for every file refused."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from pitchlab.recordings.formats import (
    MAX_CUES,
    Cue,
    InvalidTranscript,
    parse_transcript,
    sniff,
)

SAMPLES = Path(__file__).parent / "samples"
VTT = "text/vtt"
SRT = "application/x-subrip"
BOM = b"\xef\xbb\xbf"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def kind_of(head: bytes) -> tuple[str, str, str] | None:
    found = sniff(head)
    return None if found is None else (found.kind, found.media_type, found.extension)


def refusal(text: str | bytes, media_type: str = VTT) -> str:
    with pytest.raises(InvalidTranscript) as raised:
        parse_transcript(text, media_type)
    return str(raised.value)


# --- sniffing: tiny synthetic headers of every format ------------------------------------------


def ebml(doctype: bytes) -> bytes:
    """An EBML header (as webm/mkv files start) with its version, then DocType, then a body."""
    children = b"\x42\x86\x81\x01" + b"\x42\x82" + bytes([0x80 | len(doctype)]) + doctype
    return b"\x1a\x45\xdf\xa3" + bytes([0x80 | len(children)]) + children + b"\x18\x53\x80\x67"


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    brands = major + b"\x00\x00\x02\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(brands)) + b"ftyp" + brands + b"\x00\x00\x00\x08free"


AUDIO = "audio"


@pytest.mark.parametrize(("head", "expected"), [
    (b"RIFF\x24\x08\x00\x00WAVEfmt \x10\x00\x00\x00", (AUDIO, "audio/wav", "wav")),
    (b"RF64\xff\xff\xff\xffWAVEds64", (AUDIO, "audio/wav", "wav")),
    (b"ID3\x04\x00\x00\x00\x00\x0f\x76TIT2", (AUDIO, "audio/mpeg", "mp3")),
    (b"\xff\xfb\x90\x64" + b"\x00" * 60, (AUDIO, "audio/mpeg", "mp3")),  # MPEG-1 Layer III
    (b"\xff\xfa\x92\x04" + b"\x00" * 60, (AUDIO, "audio/mpeg", "mp3")),  # ... with a CRC
    (b"\xff\xf3\x64\xc4" + b"\x00" * 60, (AUDIO, "audio/mpeg", "mp3")),  # MPEG-2 Layer III
    (b"\xff\xe3\x18\xc4" + b"\x00" * 60, (AUDIO, "audio/mpeg", "mp3")),  # MPEG-2.5
    (ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), (AUDIO, "audio/mp4", "m4a")),
    (ftyp(b"isom", b"isom", b"iso2", b"mp41"), (AUDIO, "audio/mp4", "m4a")),
    (ftyp(b"mp42", b"mp42"), (AUDIO, "audio/mp4", "m4a")),
    (ftyp(b"XYZ1", b"iso6"), (AUDIO, "audio/mp4", "m4a")),  # a compatible brand is enough
    (ebml(b"webm"), (AUDIO, "audio/webm", "webm")),
    (b"OggS\x00\x02" + b"\x00" * 22 + b"\x01vorbis", (AUDIO, "audio/ogg", "ogg")),
    (b"OggS\x00\x02" + b"\x00" * 22 + b"OpusHead", (AUDIO, "audio/ogg", "ogg")),
])
def test_audio_is_recognised_by_its_first_bytes(head: bytes, expected: tuple[str, ...]) -> None:
    assert kind_of(head) == expected


@pytest.mark.parametrize("head", [
    b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\nJane: hi\n",
    b"WEBVTT\r\n",
    b"WEBVTT - Zoom transcript\n",
    b"WEBVTT\tkind: captions\n",
    b"WEBVTT",
    BOM + b"WEBVTT\n",
])
def test_webvtt_is_recognised_by_its_header(head: bytes) -> None:
    assert kind_of(head) == ("transcript", "text/vtt", "vtt")


@pytest.mark.parametrize("head", [
    b"1\n00:00:01,000 --> 00:00:04,000\nJane: hi\n",
    BOM + b"\r\n\r\n1\r\n00:00:01,000 --> 00:00:04,000\r\nJane: hi\r\n",
    b"12\n1:02:03,450-->1:02:05,000\n",
    b"1\n100:00:00,000 --> 100:00:01,000\nRita: hi\n",  # past 99 hours, as the parser reads
    # Not UTF-8 (cp1252): still an SRT, so the parser can say it must be UTF-8.
    b"1\n00:00:01,000 --> 00:00:04,000\nRen\xe9: hi\n",
])
def test_srt_is_recognised_by_an_index_then_a_timing_line(head: bytes) -> None:
    assert kind_of(head) == ("transcript", "application/x-subrip", "srt")


@pytest.mark.parametrize("head", [
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", id="png"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", id="pdf"),
    pytest.param(b"Meeting notes\nJane: we agreed on pricing\n", id="plain text"),
    pytest.param(b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff", id="windows exe"),
    pytest.param(b"\x7fELF\x02\x01\x01", id="linux exe"),
    pytest.param(b"", id="empty"),
    pytest.param(ebml(b"matroska"), id="matroska, not webm"),
    pytest.param(ftyp(b"qt  ", b"qt  "), id="quicktime movie"),
    pytest.param(b"RIFF\x24\x08\x00\x00AVI LIST", id="avi"),
    pytest.param(b"\xff\xf1\x50\x80\x02\x1f\xfc", id="adts aac"),
    pytest.param(b"\xff\xeb\x90\x64", id="mpeg frame, reserved version"),
    pytest.param(b"\xff\xf9\x90\x64", id="mpeg frame, reserved layer"),
    pytest.param(b"\xff\xff\x90\x64", id="mpeg layer I, not mp3"),
    pytest.param(b"\xff\xfd\x90\x64", id="mpeg layer II, not mp3"),
    pytest.param(b"\xff\xfb\xf0\x64", id="mpeg frame, bad bitrate"),
    pytest.param(b"\xff\xfb\x9c\x64", id="mpeg frame, reserved sample rate"),
    pytest.param(b"\xff\xfb\x90\x66", id="mpeg frame, reserved emphasis"),
    pytest.param(b"ID3\x04\x00\x00\x00\x00\x8f\x76", id="id3, size not syncsafe"),
    pytest.param(b"WEBVTTX\n", id="webvtt prefix of another word"),
    pytest.param(b"\xff\xfeW\x00E\x00B\x00V\x00T\x00T\x00", id="utf-16 webvtt"),
    pytest.param(b"1\nhello\n", id="srt without a timing line"),
    pytest.param(b"one\n00:00:01,000 --> 00:00:04,000\n", id="srt without an index"),
    pytest.param(b"1\n00:00:01,000 --> 00:00:04,000\n\x00\x00\x01", id="srt-like, then binary"),
])
def test_anything_else_is_not_accepted(head: bytes) -> None:
    assert sniff(head) is None


def test_a_text_file_named_mp3_is_judged_by_its_bytes(tmp_path: Path) -> None:
    renamed = tmp_path / "call-recording.mp3"
    renamed.write_text("This is not audio, whatever its name says.\n")
    assert sniff(renamed.read_bytes()) is None


def test_only_the_first_4096_bytes_are_looked_at() -> None:
    # An SRT index line, then its timing line just past the sniffed bytes.
    head = b"\n" * 4093 + b"1\n00:00:01,000 --> 00:00:04,000\n"
    assert sniff(head) is None
    assert kind_of(head[60:]) == ("transcript", "application/x-subrip", "srt")


# --- transcripts: the meeting tools' exports ---------------------------------------------------


def test_a_zoom_export_with_three_speakers() -> None:
    data = sample("zoom_three_speakers.vtt")
    found = sniff(data)
    assert found is not None
    assert parse_transcript(data, found.media_type) == [
        Cue("Priya Raman", "Hi Marcus, thanks for making time today. I've asked Dana from our "
            "solutions team to join us.", 1.25, 8.12),
        Cue("Marcus O'Neill (Acme Corp.)", "Sure, happy to. Hi Dana.", 8.9, 11.3),
        # The dial-in's unnamed cue keeps the previous cue's speaker.
        Cue("Dana Kim", "Hi Marcus! and, uh, we can start whenever you're ready.", 11.3, 16.7),
        Cue("Priya Raman", "Great. So, what made you look at call coaching tools this quarter?",
            17.0, 23.48),
        Cue("Marcus O'Neill (Acme Corp.)", "Honestly, ramp time. New reps take six months & "
            "we can't afford that. And our managers can't listen to every call.", 24.1, 35.25),
        Cue("Dana Kim", "That's exactly the gap we close: every call gets scored the same way.",
            36.0, 41.5),
    ]


def test_a_teams_export_with_split_cues_and_a_missing_closing_tag() -> None:
    data = sample("teams_split_cues.vtt")
    assert parse_transcript(data, VTT) == [
        Cue("Jane Doe", "Good morning everyone, let's get started.", 2.04, 5.56),
        # Cue 14-1 comes before 14-0 in the file; 14-0 has no </v>.
        Cue("Tom's iPhone", "We were hoping to have the budget before the end of the quarter.",
            6.1, 12.32),
        Cue("Jane Doe", "Understood. What happens if it slips into next quarter?", 13.0, 17.45),
        # With voice spans naming the speakers, "waits: Note," is what Tom said.
        Cue("Tom's iPhone", "Then R&D waits: Note, that's their call, not mine.", 18.2, 22.9),
    ]


def test_an_srt_with_names_a_bom_and_crlf_line_endings() -> None:
    data = sample("names_bom_crlf.srt")
    assert data.startswith(BOM) and b"\r\n" in data  # the sample is what it claims to be
    found = sniff(data)
    assert found is not None and found.media_type == SRT
    assert parse_transcript(data, SRT) == [
        Cue("Alex Moreno", "Thanks for joining, Sam. Did you get a chance to review the proposal?",
            0.5, 6.0),
        Cue("Sam Lee", "I did. Pricing is the sticking point.", 6.4, 10.75),
        Cue("Alex Moreno", "Which part of it?", 10.9, 13.0),
    ]


def test_already_decoded_text_reads_the_same_as_the_bytes() -> None:
    data = sample("names_bom_crlf.srt")
    assert parse_transcript(data.decode("utf-8"), SRT) == parse_transcript(data, SRT)


def test_a_meet_style_caption_file_with_names_and_short_timestamps() -> None:
    text = ("WEBVTT\nKind: captions\nLanguage: en\n\n"
            "00:01.000 --> 00:03.500\nAna Silva: Can you hear me?\n\n"
            "00:04.000 --> 01:02:03.004\nBen: Yes &lt;loud&gt; and clear.\n")
    assert parse_transcript(text, VTT) == [
        Cue("Ana Silva", "Can you hear me?", 1.0, 3.5),
        Cue("Ben", "Yes <loud> and clear.", 4.0, 3723.004),
    ]


def test_style_region_and_note_blocks_and_inline_tags_are_not_speech() -> None:
    text = ("WEBVTT\n\nSTYLE\n::cue { color: lime }\n\nREGION\nid:left width:40%\n\n"
            "NOTE\nreviewed by legal\n\n"
            "00:00:01.000 --> 00:00:02.000 region:left line:0\n"
            "<v Kim><c.yellow>Hello</c> <00:00:01.500><i>there</i>&nbsp;friend.</v>\n")
    assert parse_transcript(text, VTT) == [Cue("Kim", "Hello there friend.", 1.0, 2.0)]


def test_turns_are_sorted_by_start_time() -> None:
    text = ("WEBVTT\n\n00:00:05.000 --> 00:00:06.000\nB: second\n\n"
            "00:00:01.000 --> 00:00:02.000\nA: first\n")
    assert [cue.speaker for cue in parse_transcript(text, VTT)] == ["A", "B"]


def test_a_turn_ends_where_its_latest_cue_ends() -> None:
    # Split cues can overlap: the second starts later but ends sooner than the first.
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:10.000\nA: a long point\n\n"
            "00:00:02.000 --> 00:00:05.000\nA: and an aside\n")
    assert parse_transcript(text, VTT) == [Cue("A", "a long point and an aside", 1.0, 10.0)]


def test_a_cue_may_last_no_time_at_all() -> None:
    text = "1\n00:00:03,000 --> 00:00:03,000\nA: hm\n"
    assert parse_transcript(text, SRT) == [Cue("A", "hm", 3.0, 3.0)]


def test_old_mac_line_endings_and_line_numbers_past_unicode_separators() -> None:
    text = "1\r00:00:01,000 --> 00:00:02,000\rA: one\u2028two\r\r2\r00:00:03,000 --> 3\r"
    assert refusal(text, SRT).startswith("line 6: the timestamps are malformed")
    assert parse_transcript(text.split("\r\r")[0], SRT) == [Cue("A", "one two", 1.0, 2.0)]


def test_cues_before_the_first_named_one_are_the_unknown_speakers() -> None:
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nhello?\n\n"
            "00:00:03.000 --> 00:00:04.000\nJo: Hi, I'm Jo.\n\n"
            "00:00:05.000 --> 00:00:06.000\nLee: Hi Jo.\n")
    assert [cue.speaker for cue in parse_transcript(text, VTT)] == ["Unknown", "Jo", "Lee"]


def test_bracketed_names_and_broadcast_markers_in_srt() -> None:
    text = ("1\n00:00:01,000 --> 00:00:02,000\n>> Pat: Welcome back.\n\n"
            "2\n00:00:02,500 --> 00:00:04,000\n- [Chris] Thanks,\nglad to be here.\n")
    assert parse_transcript(text, SRT) == [
        Cue("Pat", "Welcome back.", 1.0, 2.0),
        Cue("Chris", "Thanks, glad to be here.", 2.5, 4.0),
    ]


# --- refusals, each saying what and where ------------------------------------------------------


@pytest.mark.parametrize("text", [b"", BOM, "\n \r\n\t\n"])
def test_an_empty_file_is_refused(text: str | bytes) -> None:
    assert refusal(text) == "the transcript file is empty"


def test_a_file_that_is_not_utf8_is_refused_with_its_line() -> None:
    data = b"1\n00:00:01,000 --> 00:00:04,000\nRen\xe9: bonjour\n"
    assert refusal(data, SRT) == ("line 3: the transcript is not UTF-8 text; export or save it "
                                  "as UTF-8 and upload it again")


@pytest.mark.parametrize(("text", "media_type", "expected"), [
    ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:0x.000\nA: hi\n", VTT,
     "line 4: the timestamps are malformed; expected a line such as "
     "00:01:02.500 --> 00:01:04.000"),
    ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nA: hi\n\n00:61:00.000 --> 01:00:00.000\nB: x\n",
     VTT, "line 6: the timestamps are malformed; expected a line such as "
     "00:01:02.500 --> 00:01:04.000"),
    ("1\n00:00:01,000 -> 00:00:02,000\nA: hi\n", SRT,
     "line 1: expected a timing line such as 00:01:02,500 --> 00:01:04,000"),
    ("1\n00:00:01,000 --> 00:00:02,000\nA: hi\n2\n00:00:03,000 --> 00:00:04,000\nB: yo\n", SRT,
     "line 5: a blank line must come before each cue"),
])
def test_malformed_timing_is_refused_with_its_line(text: str, media_type: str,
                                                   expected: str) -> None:
    assert refusal(text, media_type) == expected


def test_a_cue_that_ends_before_it_starts_is_refused() -> None:
    text = "\n1\n00:00:05,000 --> 00:00:04,999\nA: hi\n"
    assert refusal(text, SRT) == "line 3: the cue ends before it starts"


def test_a_webvtt_file_must_start_with_its_header() -> None:
    assert refusal("1\n00:00:01.000 --> 00:00:02.000\nA: hi\n") == (
        "line 1: a WebVTT file must start with WEBVTT")


def test_more_than_50000_cues_are_refused() -> None:
    cue = "00:00:01.000 --> 00:00:02.000\nA: hi\n\n"
    assert len(parse_transcript("WEBVTT\n\n" + cue * MAX_CUES, VTT)) == 1
    assert refusal("WEBVTT\n\n" + cue * (MAX_CUES + 1)) == (
        "the transcript has more than 50,000 cues; upload a shorter call")


def test_a_transcript_without_text_is_refused() -> None:
    text = ("WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n\n"
            "2\n00:00:03.000 --> 00:00:04.000\n<b></b>\n")
    assert refusal(text) == "the transcript has no text: every cue is empty"


NO_SPEAKERS = ("no speaker names in the transcript (such as 'Jane Doe: text' or "
               "'<v Jane Doe>text</v>'): export the transcript with speaker names")


def test_a_transcript_without_speaker_names_is_refused() -> None:
    text = "1\n00:00:01,000 --> 00:00:02,000\nhello there\n"
    assert refusal(text, SRT) == NO_SPEAKERS


def test_a_colon_in_a_caption_file_does_not_make_a_speaker() -> None:
    # One "Note:" among unnamed captions is speech, not a speaker called Note.
    text = ("WEBVTT\n\n00:00:01.000 --> 00:00:02.000\nWelcome to the call.\n\n"
            "00:00:03.000 --> 00:00:04.000\nNote: we are recording.\n\n"
            "00:00:05.000 --> 00:00:06.000\nLet's begin.\n")
    assert refusal(text) == NO_SPEAKERS


def test_an_unknown_media_type_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="not a transcript media type") as raised:
        parse_transcript("WEBVTT\n", "audio/wav")
    assert not isinstance(raised.value, InvalidTranscript)
