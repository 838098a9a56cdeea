"""A recording's title from its file's name: the client's, so anything a header can hold."""

from __future__ import annotations

import pytest

from pitchlab.recordings.service import _title_of_file


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
