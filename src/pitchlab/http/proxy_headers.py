"""Which peer is the client: the TCP peer, unless it is one of ``PITCHLAB_TRUSTED_PROXIES``.

Only then are ``X-Forwarded-For`` (the client's address: rate limits, the audit log) and
``X-Forwarded-Proto`` (https: HSTS, secure links) believed; from anyone else they are ignored, so a
client talking to the server directly cannot choose the address it is counted under. Done in the
app rather than by uvicorn's ``--forwarded-allow-ips`` (whose default trusts 127.0.0.1, and which
reads FORWARDED_ALLOW_IPS from the environment behind the settings' back), so every way of serving
the app (``pitchlab serve``, the tests' servers) has the same rule.
"""

from __future__ import annotations

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware


def install_proxy_headers(app: FastAPI, trusted_proxies: list[str]) -> None:
    """Add the middleware for ``trusted_proxies`` (none: nothing to add, headers ignored).
    Call it after the middleware that read the client address or scheme: it must wrap them."""
    if trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=trusted_proxies)
