"""The pages' unit of work: the API's (committed when the page is made, rolled back when it
raises), and also rolled back when ``WebRoute`` turned a refusal into a page.

Why its own: ``WebRoute`` catches a refusal to answer with a page (the form again, an error
page), and FastAPI runs a function-scoped dependency's exit after the route's handler has
returned, so the API's unit of work would see a page made and commit what the service wrote
before it refused (a scorecard renamed by an edit refused for an unknown criterion). The route
marks the request refused; this unit of work then rolls back.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from pitchlab.deps import Context

_REFUSED = "pitchlab.web.refused"


class _Refused(Exception):
    """Raised inside the transaction to roll it back (and swallowed right after)."""


def mark_refused(connection: HTTPConnection) -> None:
    connection.scope[_REFUSED] = True


async def page_unit_of_work(connection: HTTPConnection,
                            context: Context) -> AsyncIterator[AsyncSession]:
    with contextlib.suppress(_Refused):
        async with context.database.transaction() as session:
            yield session
            if connection.scope.get(_REFUSED):
                raise _Refused()


DbSession = Annotated[AsyncSession, Depends(page_unit_of_work, scope="function")]
