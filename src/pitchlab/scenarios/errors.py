"""What the scenario endpoints refuse, one class per reason (statuses: http/error_catalogue)."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError, Forbidden, NotFound


class ScenarioNotFound(NotFound):
    """No such scenario, or another company's (never revealed as existing)."""

    default_message = "There is no scenario with this id."


class ScenarioAdminsOnly(Forbidden):
    default_message = "Only an admin of the company may create or change its scenarios."


class CompanyMembersOnly(Forbidden):
    """A company's scenarios: a platform operator (super_admin) belongs to no company."""

    default_message = (
        "Company scenarios belong to a company: a platform operator belongs to none."
    )


class BuiltInScenarioReadOnly(DomainError):
    """The built-in library ships with the product: duplicate a built-in to change it."""

    code = "built_in_scenario"
    default_message = ("Built-in scenarios are read-only: duplicate it "
                       "(POST /api/scenarios/{id}/duplicate) and change the copy.")


class ScenarioArchived(DomainError):
    code = "scenario_archived"
    default_message = "This scenario is archived and can no longer be changed."


class UnknownScorecard(DomainError):
    """The scorecard is not one of the company's own live scorecards (another company's looks
    the same as one that does not exist)."""

    code = "unknown_scorecard"
    default_message = "No scorecard of your company has this id: GET /api/scorecards lists them."
