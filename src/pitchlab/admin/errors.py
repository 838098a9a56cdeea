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
