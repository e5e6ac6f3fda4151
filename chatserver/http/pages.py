"""Pages and static assets of the web client (``webclient/``), served by the app."""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from chatserver.contract.spec import ANYONE, Operation, Reply, operation

WEBCLIENT_DIR = Path(__file__).resolve().parents[2] / "webclient"

PAGES = {
    "/": "index.html",
    "/staff": "staff.html",
    "/manager": "manager.html",
    "/admin": "admin.html",
    "/tillganglighet": "accessibility.html",
    # The identified patient's access log ("Vem har läst mina uppgifter").
    "/atkomstlogg": "access-log.html",
}


# Pages are in the OpenAPI document as HTML answers only; what they do is the
# web client's (docs/protocol.md "Web client"). These three are the contract's.
CONTRACT_PAGES = ("/", "/staff", "/manager")


def _described(url: str) -> Operation:
    return Operation(
        "A page of the web client (static HTML)",
        ANYONE,
        "pages",
        {200: Reply(None, "text/html")},
        extension=url not in CONTRACT_PAGES,
    )


def _page(filename: str, url: str) -> Route:
    @operation(_described(url))
    async def page(request: Request) -> Response:
        path = WEBCLIENT_DIR / filename
        if not path.is_file():
            return Response("Not found", status_code=404, media_type="text/plain")
        return FileResponse(path, media_type="text/html; charset=utf-8")

    return page  # type: ignore[return-value]


def routes() -> list[BaseRoute]:
    out: list[BaseRoute] = [Route(url, _page(name, url)) for url, name in PAGES.items()]
    if WEBCLIENT_DIR.is_dir():
        out.append(Mount("/static", StaticFiles(directory=WEBCLIENT_DIR), name="static"))
    return out
