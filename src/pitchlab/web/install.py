"""The web app's routers and static files, added to the API's app by ``create_app``."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pitchlab.web import account, admin, operator, practice, public
from pitchlab.web.pages import STATIC_DIR

# One line per area of the web app; each module's ``router`` uses ``WebRoute``.
ROUTERS = (public.router, practice.router, account.router, admin.router, operator.router)


def install_web_app(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
