"""The error catalogue: every named domain error has an HTTP status (so none becomes a silent 500),
and every contract code is named by exactly one class (a subclass keeps its parent's code)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import pitchlab
from pitchlab.http.error_catalogue import HTTP_STATUS, close_code_of, http_status_of
from pitchlab.kit.errors import DomainError, RateLimited, RetryLater, Unauthorized


def _named_errors() -> list[type[DomainError]]:
    # Every domain's errors module, whether or not a router imports it yet.
    for module in pkgutil.walk_packages(pitchlab.__path__, "pitchlab."):
        if module.name.endswith(".errors"):
            importlib.import_module(module.name)
    found, pending = [], list(DomainError.__subclasses__())
    while pending:
        error = pending.pop()
        found.append(error)
        pending.extend(error.__subclasses__())
    return [error for error in found if error is not RetryLater]


@pytest.mark.parametrize("error", _named_errors(), ids=lambda error: error.__name__)
def test_every_named_error_has_a_status_and_its_own_code(error):
    assert 400 <= http_status_of(error) <= 599
    assert close_code_of(error) >= 4000
    assert error.code and error.default_message
    # the class that names its code is the only one that does, outside its own subclasses
    namers = {cls for cls in _named_errors() if "code" in vars(cls) and cls.code == error.code}
    assert len(namers) == 1, f"{error.code} is named by {sorted(c.__name__ for c in namers)}"


def test_a_status_is_found_through_the_parent_class():
    class Later(RateLimited):
        pass

    assert Later not in HTTP_STATUS
    assert http_status_of(Later(retry_after_seconds=3)) == 429


def test_an_error_missing_from_the_catalogue_is_a_lookup_error():
    class Unlisted(DomainError):
        code = "unlisted"
        default_message = "nobody listed me"

    with pytest.raises(LookupError, match="Unlisted"):
        http_status_of(Unlisted)


async def test_the_envelope_carries_the_headers_http_asks_for():
    import httpx
    from fastapi import FastAPI

    from pitchlab.http.errors import install_error_handlers

    app = FastAPI()
    install_error_handlers(app)

    @app.get("/limited")
    async def limited() -> None:
        raise RateLimited(retry_after_seconds=7)

    @app.get("/signed-out")
    async def signed_out() -> None:
        raise Unauthorized(details={"reason": "missing"})

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        late = await client.get("/limited")
        assert late.status_code == 429 and late.headers["retry-after"] == "7"
        assert late.json()["error"] == {
            "code": "rate_limited", "message": "Too many attempts. Try again later.",
            "details": {"retry_after_seconds": 7},
        }
        out = await client.get("/signed-out")
        assert out.status_code == 401 and out.headers["www-authenticate"] == "Bearer"
        assert out.json()["error"]["code"] == "unauthorized"
        assert out.json()["error"]["details"] == {"reason": "missing"}
