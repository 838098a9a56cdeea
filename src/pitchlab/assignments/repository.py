"""Queries of ``assignments``, and the one definition of an assignment's progress.

Progress is read from the rep's calls, never stored: a call counts for an assignment when the
assigned rep completed it in the assigned scenario at or after the assignment was made and its
feedback has a score. ``best_score`` is the highest such score; ``completed_at`` is when the
first such call scoring at least the target (any score, without a target) ended. A late call
still completes an assignment (``due_at`` only says it is overdue). Every query names the
company too, on top of row-level security.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

from sqlalchemy import Select, and_, func, select
from sqlalchemy.sql.elements import ColumnElement

from pitchlab.models import Assignment, Feedback, PracticeSession
from pitchlab.models.values import SessionStatus


def progress(company_id: UUID, *conditions: ColumnElement[bool]) -> Select[
    Assignment, Decimal | None, datetime | None
]:
    """``(Assignment, best_score, completed_at)`` of the company's assignments matching
    ``conditions``, oldest first."""
    counts = and_(
        PracticeSession.company_id == Assignment.company_id,
        PracticeSession.user_id == Assignment.user_id,
        PracticeSession.scenario_id == Assignment.scenario_id,
        PracticeSession.status == SessionStatus.COMPLETED,
        PracticeSession.ended_at >= Assignment.created_at,
    )
    reached = Feedback.score >= func.coalesce(Assignment.target_score, 1)
    return (
        select(
            Assignment,
            func.max(Feedback.score).label("best_score"),
            func.min(PracticeSession.ended_at).filter(reached).label("completed_at"),
        )
        .outerjoin(PracticeSession, counts)
        .outerjoin(Feedback, and_(Feedback.session_id == PracticeSession.id,
                                  Feedback.score.is_not(None)))
        .where(Assignment.company_id == company_id, *conditions)
        .group_by(Assignment.id)
        .order_by(Assignment.created_at, Assignment.id)
    )
