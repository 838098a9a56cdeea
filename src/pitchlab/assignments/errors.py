"""What the assignment endpoints refuse, one class per reason."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError, Forbidden, NotFound


class AssignmentNotFound(NotFound):
    """No such assignment, or another company's (never revealed as existing)."""

    default_message = "There is no assignment with this id."


class AssignmentAdminsOnly(Forbidden):
    """Admins assign scenarios; reps read what they were assigned."""

    default_message = "Only an admin of the company may assign scenarios or withdraw them."


class AssignmentsOfCompaniesOnly(Forbidden):
    """Assignments belong to a company: a platform operator (super_admin) belongs to none."""

    default_message = (
        "Assignments belong to a company: a platform operator belongs to none and has none."
    )


class UnassignableScenario(DomainError):
    """The scenario is neither a built-in nor one of the company's own, or it is archived."""

    code = "unassignable_scenario"
    default_message = (
        "There is no scenario with this id to assign: give a built-in scenario's id or one of "
        "your company's scenarios that is not archived."
    )


class UnknownRep(DomainError):
    """A user id that names no active member of the company (unknown, another company's, or a
    disabled account). ``details.user_ids`` lists them."""

    code = "unknown_rep"
    default_message = "Some user ids name no active member of your company."
