"""The JSON API (v1) for other systems: Binmas reporting, messaging, command-centre screens."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme, Tag
from markupsafe import escape

from app.accounts.auth import public
from app.api.activities import ActivityController
from app.api.attestations import AttestationController
from app.api.audit import AuditController
from app.api.catalogue import CompetitionPartsController
from app.api.common import api_domain_error_handler, api_exception_handler
from app.api.competitions import CompetitionController
from app.api.jury import JuryController
from app.api.leaderboard import LeaderboardController
from app.api.photos import PhotoController
from app.api.scoring import ScoringController
from app.api.season import SeasonController
from app.api.stages import StageController
from app.api.tokens import TokenController
from app.api.users import UserController
from app.api.webhooks import WebhookController
from app.errors import DomainError
from app.inputs import refuse_malformed

API_PATH = "/api/v1"
CONTROLLERS = (
    TokenController,
    CompetitionController,
    CompetitionPartsController,
    UserController,
    ActivityController,
    AttestationController,
    ScoringController,
    LeaderboardController,
    JuryController,
    PhotoController,
    SeasonController,
    StageController,
    AuditController,
    WebhookController,
)
SCHEMA_PATH = "/schema"


def api_router() -> Router:
    return Router(
        API_PATH,
        route_handlers=list(CONTROLLERS),
        exception_handlers={HTTPException: api_exception_handler, DomainError: api_domain_error_handler},
        # The router's hook replaces the application's (the closest layer wins): the same one.
        before_request=refuse_malformed,
        include_in_schema=True,
    )


class ReferencePage(OpenAPIRenderPlugin):
    """A plain HTML reference of the API, rendered on the server from the OpenAPI document.

    The ready-made viewers (Swagger UI, Redoc…) load their code from a CDN; this page needs nothing but
    itself, like the rest of Sinergi.
    """

    def __init__(self) -> None:
        super().__init__(path="/", favicon="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        info = openapi_schema.get("info", {})
        parts = [
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{escape(info.get('title', 'API'))}</title>"
            # A stylesheet of our own origin: the Content-Security-Policy allows no inline style.
            "<link rel='stylesheet' href='/static/reference.css'></head><body>",
            f"<h1>{escape(info.get('title', 'API'))} {escape(info.get('version', ''))}</h1>",
            f"<p>{escape(info.get('description', ''))}</p>",
            f"<p>OpenAPI document: <a href='{SCHEMA_PATH}/openapi.json'>{SCHEMA_PATH}/openapi.json</a>."
            " Guide with curl examples: <code>docs/api.md</code>.</p>",
        ]
        for path, item in openapi_schema.get("paths", {}).items():
            for method, op in item.items():
                if not isinstance(op, dict) or method.startswith("x-"):
                    continue
                parts.append(
                    f"<h3 id='{escape(op.get('operationId', ''))}'>"
                    f"<span class='m'>{escape(method.upper())}</span>"
                    f" <code>{escape(path)}</code></h3><p>{escape(op.get('summary', ''))}"
                    + (" <em>(Bearer token)</em>" if op.get("security") else "")
                    + "</p>"
                )
                params = [
                    f"<code>{escape(p.get('name', ''))}</code> ({escape(p.get('in', ''))})"
                    for p in op.get("parameters", [])
                ]
                if params:
                    parts.append("<p>Parameters: " + ", ".join(params) + "</p>")
                codes = ", ".join(escape(code) for code in op.get("responses", {}))
                parts.append(f"<p>Responses: {codes}</p>")
        parts.append("</body></html>")
        return "".join(str(p) for p in parts).encode()


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Sinergi API",
        version="1.0.0",
        description=(
            "JSON API of Sinergi, the scoring platform of the Lomba Sinergitas Senkom – Bhabinkamtibmas / "
            "Polisi RW. Send `Authorization: Bearer <token>` (from POST /api/v1/auth/token). Scores are "
            "strings holding exact decimals; datetimes are ISO 8601 with an offset."
        ),
        tags=[
            Tag(name=n)
            for n in (
                "auth",
                "competitions",
                "users",
                "activities",
                "attestations",
                "scoring",
                "leaderboard",
                "jury",
                "photos",
                "season",
                "stages",
                "audit",
                "webhooks",
            )
        ],
        components=Components(
            security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer", description="API token")}
        ),
        render_plugins=[ReferencePage(), JsonRenderPlugin()],
        openapi_router=Router(SCHEMA_PATH, route_handlers=[], guards=[public], include_in_schema=False),
    )
