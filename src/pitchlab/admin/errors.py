"""What the admin endpoints refuse, one class per reason (codes shared with the kernel's)."""

from __future__ import annotations

from pitchlab.kit.errors import DomainError, Forbidden, NotFound


class AdminsOnly(Forbidden):
    """The admin endpoints are for a company's admins and the platform's operators."""

    default_message = "Only an admin of the company (or a platform operator) may do this."


class CompanyNotFound(NotFound):
    """No such company, or another company than the admin's own (never revealed as existing)."""

    default_message = "There is no company with this id."


class CompanyRequired(DomainError):
    """An operator belongs to no company: what they do to one must name it."""

    code = "company_required"
    default_message = "Say which company: give `company_id`."


class UserNotFound(NotFound):
    """No such account, or one of another company (never revealed as existing)."""

    default_message = "There is no user with this id."


class OperatorsManagedElsewhere(Forbidden):
    """Platform operators are made and changed from the command line, never over HTTP."""

    default_message = "A platform operator's account is not changed here."


class LastAdmin(DomainError):
    """The change would leave the company without an admin who can sign in."""

    code = "last_admin"
    default_message = (
        "This is the company's last active admin: make another member an admin first."
    )


class OperatorsOnly(Forbidden):
    """What spans every company is for the platform's operators (super_admin) only."""

    default_message = "Only a platform operator may do this."


class CompanyAdminsOnly(Forbidden):
    """A company's own settings are its admins' (a rep, or an operator who belongs to no
    company, is refused)."""

    default_message = "Only an admin of the company may see or change its settings."
