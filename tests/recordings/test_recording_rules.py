"""Pure rules of a recording: its title from its file's name (the client's, so anything a
header can hold), and how long each speaker spoke."""

from __future__ import annotations

import pytest

from pitchlab.recordings.service import _title_of_file, spoken_seconds


@pytest.mark.parametrize(("filename", "title"), [
    ("q3-review.vtt", "q3-review"),
    ("C:\\Users\\rita\\calls\\acme.mp3", "acme"),
    ("../../etc/passwd", "passwd"),
    ("bad\x00name\x07.wav", "badname"),
    ("   .wav", "Recording"),
    (None, "Recording"),
    ("x" * 300 + ".srt", "x" * 200),
])
def test_a_title_is_the_files_stem_printable_and_short(filename, title):
    assert _title_of_file(filename) == title


@pytest.mark.parametrize(("spans", "seconds"), [
    ([], 0.0),
    ([(1.0, 10.0)], 9.0),
    ([(1.0, 10.0), (4.0, 20.0)], 19.0),  # overlapping cues of one speaker: counted once
    ([(4.0, 20.0), (1.0, 10.0), (30.0, 31.5)], 20.5),
    ([(1.0, 10.0), (2.0, 3.0)], 9.0),  # one inside another
    ([(5.0, 5.0)], 0.0),
])
def test_a_speakers_seconds_are_the_union_of_their_spans(spans, seconds):
    assert spoken_seconds(spans) == pytest.approx(seconds)
