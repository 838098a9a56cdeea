"""The misbehave switch itself: each fault is what a client meets when a vendor fails that way,
and recovery is at the same address."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.fakes.misbehave import RETRY_AFTER_SECONDS, misbehaving


async def _ok(request) -> JSONResponse:
    return JSONResponse({"ok": True})


@pytest.fixture
async def switch():
    async with misbehaving(Starlette(routes=[Route("/", _ok, methods=["POST"])])) as switch:
        yield switch


async def _post(switch) -> httpx.Response:
    async with httpx.AsyncClient(timeout=0.3) as client:
        return await client.post(f"{switch.base_url}/", json={"hello": "vendor"})


async def test_each_fault_then_recovery_at_the_same_address(switch):
    assert (await _post(switch)).json() == {"ok": True}

    await switch.set("refuse")
    with pytest.raises(httpx.ConnectError):
        await _post(switch)

    await switch.set("timeout")
    with pytest.raises(httpx.ReadTimeout):
        await _post(switch)

    await switch.set("500")
    failed = await _post(switch)
    assert failed.status_code == 500
    assert failed.json()["error"]["type"] == "api_error"

    await switch.set("429")
    limited = await _post(switch)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == str(RETRY_AFTER_SECONDS)

    await switch.set(None)
    assert (await _post(switch)).json() == {"ok": True}
    assert (switch.faulted, switch.served) == (3, 2)  # the refused one never arrived
