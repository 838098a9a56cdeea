"""The stored words (models/values.py): one definition, read back as enum members, refused when
unknown, and named in messages as the words a client sends."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import postgresql

from pitchlab.models.values import ChoiceText, FeedbackStatus, SessionMode, SessionStatus
from pitchlab.practice.schemas import SessionEnd, SessionStart

DIALECT = postgresql.dialect()


def test_a_choice_column_stores_the_word_and_reads_back_the_member():
    column = ChoiceText(SessionStatus)
    assert column.process_bind_param(SessionStatus.COMPLETED, DIALECT) == "completed"
    assert column.process_bind_param("cancelled", DIALECT) == "cancelled"
    assert column.process_result_value("in_progress", DIALECT) is SessionStatus.IN_PROGRESS
    assert column.process_bind_param(None, DIALECT) is None
    assert column.process_result_value(None, DIALECT) is None


def test_a_word_outside_the_set_is_never_written():
    with pytest.raises(ValueError, match="'finished' is not a valid FeedbackStatus"):
        ChoiceText(FeedbackStatus).process_bind_param("finished", DIALECT)


def test_request_bodies_take_the_words_and_name_them_when_refusing():
    assert SessionStart.model_validate({"mode": "text"}).mode is SessionMode.TEXT
    assert SessionEnd.model_validate({}).reason is SessionStatus.COMPLETED
    with pytest.raises(ValueError, match=r"Input should be 'voice' or 'text'"):
        SessionStart.model_validate({"mode": "video"})
    schema = SessionEnd.model_json_schema()["properties"]["reason"]
    assert schema["enum"] == ["completed", "cancelled"] and schema["default"] == "completed"
