"""What the scorecard endpoints refuse, one class per reason (codes shared with the kernel's)."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError, Forbidden, NotFound


class ScorecardNotFound(NotFound):
    """No such scorecard, or another company's (never revealed as existing)."""

    default_message = "There is no scorecard with this id."


class ScorecardAdminsOnly(Forbidden):
    """A company's scorecards are written by its admins; reps read them."""

    default_message = "Only an admin of the company may create or change its scorecards."


class CompanyMembersOnly(Forbidden):
    """Scorecards belong to a company: a platform operator (super_admin) belongs to none."""

    default_message = (
        "Scorecards belong to a company: a platform operator belongs to none and has none."
    )


class UnknownCriterion(DomainError):
    """A PATCH names a criterion id the scorecard's current version does not have."""

    code = "unknown_criterion"
    default_message = "No criterion of this scorecard has this id."
