"""What the analytics endpoints refuse, one class per reason."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError, Forbidden


class AnalyticsMembersOnly(Forbidden):
    """Analytics are a company's: a platform operator (super_admin) belongs to none."""

    default_message = (
        "Analytics belong to a company: a platform operator belongs to none and has none."
    )


class TeamAdminsOnly(Forbidden):
    """The team table shows every member's figures: the company's admins only."""

    default_message = "Only an admin of the company may see the team's figures."


class LeaderboardDisabled(DomainError):
    """The company's leaderboard is off (the default; PATCH /api/admin/company turns it on)."""

    code = "leaderboard_disabled"
    default_message = (
        "The leaderboard is off for your company; an admin of the company can turn it on "
        "(PATCH /api/admin/company with leaderboard_enabled: true)."
    )


class InvalidWindow(DomainError):
    """``from`` after ``to``, or a window longer than a year."""

    code = "invalid_window"
    default_message = "The date window is not valid: 'from' must not be after 'to', and the " \
        "window spans at most 366 days."
