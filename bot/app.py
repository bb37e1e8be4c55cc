"""Build the bot: the Bolt app with every flow registered, and the HTTP server around it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Mapping, Sequence

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient
from yarl import URL

from bot import middleware
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import AppContext
from bot.db import Database
from bot.handlers import (  # one module per flow
    admin,
    checkins,
    commands,
    confidence,
    goals,
    home,
    meetings,
    org,
    reports,
    selfservice,
    signup,
)
from bot.listeners import Routes, provide_app_context
from bot.prompts import load_prompts
from bot.slack_client import build_client
from bot.socket_mode import SocketModeConnection

log = logging.getLogger(__name__)


def build_context(
    settings: Settings, *, db: Database | None = None, clock: Clock | None = None
) -> AppContext:
    """Wire the process-wide dependencies once, from settings."""
    clock = clock or SystemClock()
    db = db or Database(settings.database_url)
    db.stamp_with(clock)
    return AppContext(
        settings=settings,
        db=db,
        clock=clock,
        client=build_client(
            settings.slack_bot_token.get_secret_value(),
            settings.slack_api_url,
            timeout=settings.slack_timeout_seconds,
        ),
        prompts=load_prompts(settings.prompts_dir),
    )


FLOWS = (home, checkins, meetings, signup, goals, selfservice, admin, org, reports, confidence)


def all_routes() -> Routes:
    """Every flow's `register` table in one: what the bot answers, and which function does."""
    routes = Routes()
    for flow in (*FLOWS, commands):  # commands: help, for a word no flow names
        flow.register(routes)
    return routes


def build_bolt_app(ctx: AppContext) -> AsyncApp:
    """The Bolt app: signature checks, de-duplication, then each flow's listeners."""
    app = AsyncApp(
        # Bolt's own client only seeds the per-request copies it makes; it carries no token, as
        # `authorize` supplies one per request (and Bolt would warn that a token is ignored).
        # Listeners call Slack through ctx.client, with our retries.
        client=AsyncWebClient(base_url=ctx.client.base_url, timeout=ctx.client.timeout),
        signing_secret=ctx.settings.slack_signing_secret.get_secret_value(),
        process_before_response=False,  # ack first; slow work continues after the response
        authorize=ctx.identity.for_bolt(),  # auth.test asked once, at start-up (bot.identity)
        raise_error_for_unhandled_request=False,
        # `build_web_app` checks the signature before Bolt sees the body (and Socket Mode needs
        # none): Bolt checking it again was a second HMAC over every body.
        request_verification_enabled=False,
    )
    routes = all_routes()
    provide_app_context(app, ctx)  # first: every later middleware and listener reads it
    middleware.register(app, ctx, routes)
    routes.install(app)
    return app


def signed_by_slack(secret: str, body: bytes, headers: Mapping[str, str]) -> bool:
    """Slack's v0 signature over the raw bytes (not necessarily UTF-8), timestamp within 5 min."""
    timestamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= 12):
        return False
    if abs(time.time() - int(timestamp)) > 5 * 60:
        return False
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace"))


FORM = "application/x-www-form-urlencoded"


def bolt_request(request: web.Request, raw: bytes) -> AsyncBoltRequest:
    """Bolt's request for the (verified) bytes, with an interaction's payload decoded fast.

    A click or a modal submission arrives form-encoded as one field, `payload=<JSON>`, carrying
    the whole message or modal. Bolt decodes it with urllib's `parse_qsl`, pure Python: 2-3 ms
    of CPU for a sign-up's 40 KB body, the largest part of what Bolt costs per request. yarl
    (aiohttp's URL library) decodes it the same way in C, in about 0.1 ms; Bolt then gets the
    JSON text, as from the Events API. Other bodies (slash commands, events) go to Bolt as sent.
    """
    body = raw.decode("utf-8")
    headers: dict[str, str | Sequence[str]] = dict(request.headers)
    if body.startswith("payload=") and request.content_type == FORM:
        body = URL.build(query_string=body, encoded=True).query.getall("payload")[-1]
        headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        headers["Content-Type"] = "application/json"  # what the body handed to Bolt now is
    return AsyncBoltRequest(body=body, query=request.query_string, headers=headers)


def build_web_app(
    ctx: AppContext, bolt_app: AsyncApp, socket: SocketModeConnection | None = None
) -> web.Application:
    """POST /slack/events for everything Slack sends; GET /healthz for the platform.

    In Socket Mode (`socket` given) the bot is healthy only while its connection is up: a
    process that cannot reach Slack answers nobody, whatever its database says.
    """

    secret = ctx.settings.slack_signing_secret.get_secret_value()

    async def slack_events(request: web.Request) -> web.Response:
        # Verify first, then parse: Bolt parses (and can crash on) the body before it checks the
        # signature, so a malformed body used to be a 500 whether or not Slack had signed it.
        raw = await request.read()
        if not signed_by_slack(secret, raw, request.headers):
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            parsed = bolt_request(request, raw)
            if not isinstance(parsed.body, dict):
                raise ValueError("the body is not an object")
            bolt_response = await bolt_app.async_dispatch(parsed)
        except Exception as exc:  # not UTF-8, not JSON, or fields of the wrong shape for Bolt
            log.warning("malformed request refused", extra={"error_type": type(exc).__name__})
            return web.json_response({"error": "malformed request"}, status=400)
        return await to_aiohttp_response(bolt_response)

    async def healthz(_request: web.Request) -> web.Response:
        state = {"database": "reachable" if await ctx.db.ping() else "unreachable"}
        if socket is not None:
            state["socket_mode"] = "connected" if socket.connected else "connecting"
        healthy = state["database"] == "reachable" and state.get("socket_mode") != "connecting"
        if healthy:
            return web.json_response({"status": "ok", **state})
        return web.json_response({"status": "unavailable", **state}, status=503)

    async def close_slack_client(app: web.Application) -> None:
        priming = app.get(PRIMING)
        if priming is not None and not priming.done():
            priming.cancel()
        close = getattr(ctx.client, "aclose", None)  # the pooled connections to Slack
        if close is not None:
            await close()

    async def start_priming(app: web.Application) -> None:
        app[PRIMING] = asyncio.create_task(ctx.identity.prime())

    web_app = web.Application(client_max_size=1024 * 1024)
    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    web_app.on_startup.append(start_priming)
    web_app.on_cleanup.append(close_slack_client)
    return web_app


PRIMING = web.AppKey("priming", asyncio.Task)
