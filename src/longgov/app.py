"""Composition root: ``create_app(settings)`` mounts every module."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from longgov.config import Settings
from longgov.jobs.runner import JobScheduler
from longgov.kernel import events as domain_events
from longgov.kernel.registry import Module, search_sources
from longgov.platform import Platform
from longgov.security.crypto import sm3_hex
from longgov.security.policy import permission_guard
from longgov.web.deps import provide_ctx, provide_db_session
from longgov.web.errors import handle_exception
from longgov.web.middleware import RequestContextMiddleware, SessionAuthMiddleware
from longgov.web.render import install_filters

WEB_DIR = Path(__file__).parent / "web"


def all_modules(settings: Settings) -> list[Module]:
    """Every domain module, in navigation order."""
    from longgov.applications.module import module as applications  # noqa: PLC0415
    from longgov.catalog.module import module as catalog  # noqa: PLC0415
    from longgov.documents.module import module as documents  # noqa: PLC0415
    from longgov.evaluation.module import module as evaluation  # noqa: PLC0415
    from longgov.identity.module import module as identity  # noqa: PLC0415
    from longgov.licences.module import module as licences  # noqa: PLC0415
    from longgov.notify.module import module as notify  # noqa: PLC0415
    from longgov.onething.module import module as onething  # noqa: PLC0415
    from longgov.ops.api import healthz, livez  # noqa: PLC0415
    from longgov.security.audit.module import module as audit  # noqa: PLC0415
    from longgov.timelimits.module import module as timelimits  # noqa: PLC0415
    from longgov.web.views import demo_handlers, shell_handlers  # noqa: PLC0415

    modules = [
        Module(name="shell", title="平台", route_handlers=[*shell_handlers, healthz, livez]),
        identity,
        catalog,
        applications,
        audit,
        timelimits,
        documents,
        evaluation,
        licences,
        notify,
        onething,
    ]
    if settings.is_demo:
        modules.append(Module(name="demo", title="演示", route_handlers=demo_handlers))
    return modules


def create_app(settings: Settings | None = None, *, platform: Platform | None = None) -> Litestar:
    """Build the ASGI application."""
    settings = settings or Settings()
    # The app disposes only a platform it built; a caller's (tests, CLI) stays the caller's.
    owns_platform = platform is None
    platform = platform or Platform.build(settings)
    modules = all_modules(settings)
    domain_events.bus.install([s for m in modules for s in m.subscriptions])
    search_sources.install([s for m in modules for s in m.search_sources])
    scheduler = JobScheduler(platform, [j for m in modules for j in m.jobs], tick=settings.jobs_tick_seconds)
    handlers: list[Any] = [h for m in modules for h in m.route_handlers]
    handlers.append(create_static_files_router(path="/static", directories=[WEB_DIR / "static"], opt={"public": True}, include_in_schema=False))

    # The CSRF secret derives from the session key, so it is stable across workers and restarts.
    csrf = CSRFConfig(
        secret=sm3_hex(platform.keys.session_key + b"csrf"),
        cookie_name="lg_csrf",
        cookie_secure=settings.secure_cookies,
        cookie_httponly=False,
        cookie_samesite="lax",
        header_name="x-csrftoken",
    )

    async def on_startup() -> None:
        if settings.run_jobs_in_process:
            scheduler.start()

    async def on_shutdown() -> None:
        await scheduler.stop()
        if owns_platform:
            await platform.db.dispose()

    return Litestar(
        route_handlers=handlers,
        dependencies={"db_session": Provide(provide_db_session), "ctx": Provide(provide_ctx)},
        guards=[permission_guard],
        middleware=[
            RequestContextMiddleware(hsts=settings.secure_cookies),
            SessionAuthMiddleware(platform),
        ],
        csrf_config=csrf,
        template_config=TemplateConfig(directory=WEB_DIR / "templates", engine=JinjaTemplateEngine, engine_callback=install_filters),
        exception_handlers={Exception: handle_exception},
        openapi_config=OpenAPIConfig(
            title="陇政通 LongGov API",
            version="1",
            description="甘肃省数字政府平台 JSON API",
            path="/api/schema",
            render_plugins=[JsonRenderPlugin()],
        ),
        request_max_body_size=settings.max_json_bytes,
        state=State({"platform": platform, "modules": modules}),
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        debug=False,
        logging_config=None,
    )


def app_from_env() -> Litestar:
    """Factory used by granian (``longgov.app:app_from_env``)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    return create_app(Settings())
