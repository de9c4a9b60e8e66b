"""create_app(settings) -> Litestar, and the ASGI object servers load (`app.main:asgi`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from app import db, i18n, observability, subscribers
from app.accounts.auth import auth_middleware, provide_user, provide_viewer, public
from app.accounts.controllers import SessionController
from app.activities import kept_photos
from app.activities.controllers import ActivityController, PhotoController
from app.activities.officer_pages import OfficerController, OfficerInviteController
from app.api import api_router, openapi_config
from app.errors import DomainError
from app.inputs import refuse_malformed
from app.judging.controllers import JudgeController
from app.judging.stages_controllers import BeritaAcaraController, StageConsoleController
from app.leaderboard import caches, live
from app.leaderboard.controllers import (
    BoardExtrasController,
    FreezeController,
    LeaderboardController,
    ProbeController,
    RevealController,
)
from app.leaderboard.stage_board import StageBoardController
from app.organiser.controllers import (
    AccountConsoleController,
    AuditController,
    ConsoleHomeController,
    RulesetController,
    RulesReferenceController,
)
from app.organiser.jury import JuryActivityController, JuryController
from app.organiser.people import OrganiserController
from app.organiser.season import AdjustmentController, SeasonController
from app.organiser.webhooks import WebhookConsoleController
from app.ratelimit import Limiter, MemoryLimiter, RedisLimiter
from app.settings import REPO_ROOT, Settings
from app.site import SiteController
from app.web import domain_error_handler, http_exception_handler, internal_error_handler
from app.webhooks import sender

STATIC_DIR = Path(__file__).resolve().parent / "static"
TEMPLATES_DIR = REPO_ROOT / "templates"


def _static_url(path: str) -> str:
    return f"/static/{path}"


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda message: i18n.catalogue(i18n.get_locale()).ugettext(message),
        ngettext=lambda s, p, n: i18n.catalogue(i18n.get_locale()).ungettext(s, p, n),
        newstyle=True,
    )
    env.globals.update(
        format_number=i18n.format_number,
        format_score=i18n.format_score,
        format_datetime=i18n.format_datetime,
        format_date=i18n.format_date,
        short_date=i18n.format_short_date,
        static=_static_url,
        LOCALES=i18n.LOCALES,
    )
    return env


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings.from_env()
    db.configure_engine(settings)
    subscribers.wire()
    limiter: Limiter = (
        RedisLimiter(settings.redis_url, settings.login_attempts, settings.login_window_seconds)
        if settings.redis_url
        else MemoryLimiter(settings.login_attempts, settings.login_window_seconds)
    )

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        await db.start(settings)
        try:
            yield
        finally:
            await db.stop()

    channels = live.make_channels(settings)
    static = create_static_files_router(
        path="/static",
        directories=[STATIC_DIR],
        name="static",
        guards=[public],
        cache_control=CacheControlHeader(max_age=86400, public=True),
        include_in_schema=False,
    )
    application = Litestar(
        route_handlers=[
            LeaderboardController,
            ProbeController,
            FreezeController,
            BoardExtrasController,
            RevealController,
            SessionController,
            ActivityController,
            PhotoController,
            OfficerController,
            OfficerInviteController,
            JudgeController,
            OrganiserController,
            RulesetController,
            AuditController,
            RulesReferenceController,
            AccountConsoleController,
            ConsoleHomeController,
            SeasonController,
            AdjustmentController,
            JuryController,
            JuryActivityController,
            StageConsoleController,
            BeritaAcaraController,
            StageBoardController,
            WebhookConsoleController,
            SiteController,
            static,
            api_router(),
        ],
        dependencies={
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
            "login_limiter": Provide(lambda: limiter, use_cache=True, sync_to_thread=False),
            # The acting account, typed: `user` where a guard demands one, `viewer` where the public may come.
            "user": Provide(provide_user),
            "viewer": Provide(provide_viewer),
        },
        # The board's caches are this application's (app.leaderboard.caches), bound for each request.
        middleware=[caches.binding, auth_middleware],
        # NUL characters, ids beyond the database's range, JSON nested too deep: refused before any handler.
        before_request=refuse_malformed,
        # gzip for pages; handlers that serve pre-compressed bytes or an SSE stream opt out.
        compression_config=CompressionConfig(
            backend="gzip", minimum_size=1024, gzip_compress_level=6, exclude_opt_key="skip_compression"
        ),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_name="csrftoken",
            header_name="x-csrftoken",
            cookie_secure=settings.secure_cookies,
            cookie_samesite="lax",
            # Forms and htmx get the token from the page, never from the cookie: scripts need not read it.
            cookie_httponly=True,
            # The API authenticates by bearer token; the probes, static files and the leaderboard's
            # fragment and stream render no form, so they skip minting a token for every hit.
            exclude=[
                "^/api/",
                "^/healthz$",
                "^/readyz$",
                "^/static/",
                "^/papan/baris$",
                "^/papan/sse$",
                "^/favicon.ico$",
                "^/manifest.webmanifest$",
                "^/sw.js$",
            ],
        ),
        template_config=TemplateConfig(
            engine=JinjaTemplateEngine.from_environment(make_environment()),
        ),
        plugins=[HTMXPlugin(), channels],
        on_startup=[live.on_startup_hook(channels)],
        on_shutdown=[live.on_shutdown_hook(channels)],
        exception_handlers={
            HTTPException: http_exception_handler,
            DomainError: domain_error_handler,
            Exception: internal_error_handler,
        },
        # Kept photos of refused forms are swept at start and every hour (no cron needed).
        # The webhook sender runs beside them (app.webhooks.sender; SINERGI_WEBHOOK_SENDER=0 turns it off).
        lifespan=[
            lifespan,
            lambda _app: kept_photos.sweeping_pending(settings.var_dir),
            lambda _app: sender.sending(settings),
        ],
        openapi_config=openapi_config(),
        # Only the JSON API is documented; every HTML page stays out of the OpenAPI document.
        include_in_schema=False,
        debug=False,
        # Logging is configured by `sinergi serve` (app.observability.logging_config), not by Litestar.
        logging_config=None,
        state={"settings": settings, "board_caches": caches.BoardCaches()},
    )
    # Around everything the router answers (404s, static files, the API too): request id, access log,
    # security headers.
    application.asgi_handler = observability.wrap(application.asgi_handler, settings)
    return application


def __getattr__(name: str) -> Any:
    # Servers import `app.main:application`; building it lazily keeps imports free of side effects.
    if name == "application":
        return create_app()
    raise AttributeError(name)
