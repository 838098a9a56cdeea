"""Domain events, published in the writing transaction.

A service that changes something other domains care about publishes an event
(``await publish(session, SessionCompleted(...))``) instead of calling them. Each subscriber is a
job queued by ``publish`` in the same transaction as the change (``defer_in_transaction``), so a
subscriber runs exactly when the change committed: never for a rolled-back change, never missed
for a committed one. A failing subscriber is retried by its job without touching the others.

Subscribers live in the subscribing domain (``feedback`` subscribes to ``SessionCompleted``), so
the publisher imports none of them; they register through ``@subscriber`` in a module listed in
``pitchlab.jobs.queue.JOB_MODULES``. A subscriber hears exactly the event type it names (not its
subclasses).

The job's arguments are the event's fields as JSON (UUIDs and datetimes as strings); the
subscriber gets them back as the typed event.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar, TypeVar

import procrastinate
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession

from pitchlab import metrics as app_metrics
from pitchlab.jobs.queue import defer_in_transaction, job, load_job_modules


@dataclasses.dataclass(frozen=True, kw_only=True)
class DomainEvent:
    """Something that happened. Fields must survive JSON (UUIDs, datetimes, str, int, ...)."""

    name: ClassVar[str]  # "<domain>.<past_tense>", e.g. "practice.session_completed"


Event = TypeVar("Event", bound=DomainEvent)
Handler = Callable[[procrastinate.JobContext, Event], Awaitable[None]]

_SUBSCRIBERS: dict[type[DomainEvent], list[str]] = {}
# The fields become keyword arguments of ``defer_in_transaction`` and of the job function, whose
# own parameters these are: an event field of one of these names would collide with them.
RESERVED_FIELD_NAMES = frozenset({"session", "name", "queueing_lock", "context"})
_ADAPTERS: dict[type[DomainEvent], TypeAdapter[Any]] = {}


def _adapter(event_type: type[DomainEvent]) -> TypeAdapter[Any]:
    """One adapter per event type: building one costs more than using it."""
    if event_type not in _ADAPTERS:
        _ADAPTERS[event_type] = TypeAdapter(event_type)
    return _ADAPTERS[event_type]


def subscriber(
    event_type: type[Event], *, name: str, queue: str = "default",
    retry: procrastinate.RetryStrategy | int = 0,
) -> Callable[[Handler[Event]], Handler[Event]]:
    """Run the decorated ``handler(context, event)`` as job ``name`` for every ``event_type``
    published. ``name`` is the job's name: it must stay stable while jobs may be queued."""
    reserved = RESERVED_FIELD_NAMES & {field.name for field in dataclasses.fields(event_type)}
    if reserved:
        raise TypeError(f"{event_type.__name__} may not have a field named {sorted(reserved)}")
    adapter = TypeAdapter(event_type)

    def register(handler: Handler[Event]) -> Handler[Event]:
        async def run(context: procrastinate.JobContext, **payload: Any) -> None:
            await handler(context, adapter.validate_python(payload))

        run.__name__ = run.__qualname__ = handler.__name__
        job(name, queue=queue, retry=retry)(run)
        _SUBSCRIBERS.setdefault(event_type, []).append(name)
        return handler

    return register


def subscribers_of(event_type: type[DomainEvent]) -> list[str]:
    """The job names of ``event_type``'s subscribers, across every module that declares jobs."""
    load_job_modules()
    return list(_SUBSCRIBERS.get(event_type, ()))


async def publish(session: AsyncSession, event: DomainEvent) -> None:
    """Queue every subscriber of ``event`` in ``session``'s transaction."""
    payload = _adapter(type(event)).dump_python(event, mode="json")
    for job_name in subscribers_of(type(event)):
        await defer_in_transaction(session, job_name, **payload)
        app_metrics.job_queued(job_name)
