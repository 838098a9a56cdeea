"""``AppError``, the error of the code not yet moved to named domain errors, and the old import
path of the error envelope. Everything here goes once every domain raises named errors
(``pitchlab.kit.errors``, each domain's ``errors.py``) and imports the envelope from
``pitchlab.http.errors``.

Nothing in ``pitchlab.http`` imports this module: the arrow points one way only.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from pitchlab.http.errors import (
    DATABASE_RETRY_AFTER_SECONDS,
    ErrorOut,
    error_body,
    error_response,
    error_responses,
    install_error_handlers,
)

__all__ = [
    "DATABASE_RETRY_AFTER_SECONDS",
    "AppError",
    "ErrorOut",
    "error_body",
    "error_response",
    "error_responses",
    "install_app_error_handler",
    "install_error_handlers",
]


class AppError(Exception):
    """A failure the client can act on. ``code`` is the contract's snake_case code."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 400,
        *,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.details = details or {}
        self.headers = headers


async def _app_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def install_app_error_handler(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
