"""Builds the web app (JSON API + Gradio chat) from an assistant, and serves it with uvicorn."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.service import Assistant
from assistant.settings import Settings
from ingest.factory import build_ingester
from ui.api import build_router
from ui.auth import KEY_COOKIE, Guards, KeyCookieLogin, presented_key
from ui.documents_api import build_documents_router
from ui.jobs import IngestJobs
from ui.middleware import RequestContextMiddleware
from ui.openai_compat import build_openai_router, openai_error, openai_http_error
from ui.uploads import UploadLimits

log = logging.getLogger(__name__)


def _readable(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        where = ".".join(str(x) for x in err.get("loc", ()) if x != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts)


def _param(exc: RequestValidationError) -> str | None:
    """The first invalid field as OpenAI names it (``messages[0].role``); None for a body that is not JSON."""
    for err in exc.errors():
        loc = [x for x in err.get("loc", ()) if x != "body"]
        if loc and err.get("type") != "json_invalid":
            return "".join(f"[{x}]" if isinstance(x, int) else f".{x}" for x in loc).lstrip(".")
    return None


def build_jobs(assistant: Assistant, settings: Settings) -> IngestJobs:
    """The upload worker, writing through the assistant's own store, embedder and BM25 index."""
    ingester = build_ingester(settings, assistant.retriever.embedder, assistant.store, assistant.retriever.bm25)
    return IngestJobs(ingester, keep=settings.upload.jobs_kept)


def create_app(assistant: Assistant, settings: Settings, with_ui: bool = True,
               jobs: IngestJobs | None = None) -> FastAPI:
    """The FastAPI app: /api (JSON), /v1 (OpenAI-compatible), /openapi.json, and the chat UI at /. Starts the upload
    worker (``jobs``, default ``build_jobs``), which first finishes what a previous process left."""
    jobs = (jobs or build_jobs(assistant, settings)).start()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        # at shutdown (SIGTERM, Ctrl-C) the upload worker stops between two writes, never inside one
        if not await asyncio.to_thread(jobs.stop):
            log.warning("the upload worker did not stop within 60 s; its job runs again at the next start")

    # no /docs or /redoc: FastAPI's pages load Swagger UI and ReDoc from a CDN, which an offline machine cannot
    # reach (and the assistant promises not to); /openapi.json is served for any local OpenAPI viewer
    app = FastAPI(title="News archive assistant", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Answers from ingested news articles, with verified [n] citations.")
    guards = Guards(settings)
    limits = UploadLimits.from_settings(settings)
    # the last added runs first: CORS, then the request context (id, body limit, log line), then the key login
    app.add_middleware(KeyCookieLogin, guards=guards)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.server.max_body_bytes,
                       upload_body_bytes=settings.upload.max_request_bytes)
    if settings.server.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.server.cors_origins,
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "X-API-Key", "Content-Type"])

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if request.url.path.startswith("/v1/"):  # OpenAI answers 400 with {"error": {"message": ...}}
            return openai_error(_readable(exc), 400, _param(exc))
        return JSONResponse({"detail": _readable(exc)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/v1/"):  # OpenAI clients read {"error": {...}} whatever the status
            return openai_http_error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))
        return await http_exception_handler(request, exc)

    app.include_router(build_router(assistant, guards))
    app.include_router(build_documents_router(jobs, guards, limits))
    app.include_router(build_openai_router(assistant, guards))
    if not settings.server.api_keys and not settings.server.is_loopback:
        log.warning("serving on %s without ASSISTANT_API_KEY: anyone who reaches this address can use the "
                    "API", settings.server.host)
    if with_ui:
        import gradio as gr

        from ui import assets
        from ui.articles import build_ui
        from ui.feedback import FeedbackLog

        def ui_user(request: Request) -> str | None:
            key = (presented_key(request) or request.cookies.get(KEY_COOKIE)
                   or request.query_params.get("key"))
            return "user" if guards.key_ok(key) else None

        ui = build_ui(assistant, FeedbackLog(settings.storage.feedback_path), jobs, limits)
        gr.mount_gradio_app(app, ui, path="/", footer_links=["api"],
                            auth_dependency=ui_user if settings.server.api_keys else None, run_history=False,
                            show_error=True, css=assets.css(), head=assets.head(),
                            max_file_size=settings.upload.max_request_bytes)
    return app


def import_web_modules() -> None:
    """Import what ``create_app`` and ``serve`` need (gradio alone takes ~2 s), e.g. while the models warm up."""
    import gradio  # noqa: F401
    import uvicorn  # noqa: F401

    import ui.articles  # noqa: F401
    import ui.assets  # noqa: F401
    import ui.feedback  # noqa: F401


def serve(assistant: Assistant, settings: Settings) -> None:
    import uvicorn

    app = create_app(assistant, settings)
    uvicorn.run(app, host=settings.server.host, port=settings.server.port, log_config=None, timeout_graceful_shutdown=5)
