"""Bolt middleware: process each Slack request once, and answer failures where the person is."""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError

from bot.context import AppContext
from bot.models import ProcessedRequest
from bot.texts import text

log = logging.getLogger(__name__)

DATABASE_ERRORS = (OperationalError, SAInterfaceError, ConnectionError, OSError)


def request_key(body: dict[str, Any]) -> str | None:
    """A stable id for one delivery: Events API `event_id`, else the interaction's `trigger_id`."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        return f"event:{body['event_id']}"
    trigger = body.get("trigger_id")
    if trigger:
        return f"trigger:{trigger}"
    return None


def register(app: AsyncApp, ctx: AppContext) -> None:
    """Install de-duplication and the error handler on the app."""

    @app.middleware
    async def process_once(body: dict[str, Any], next: Any) -> BoltResponse | None:
        key = request_key(body)
        if key is None:
            return await next()
        try:
            async with ctx.db.session() as session:
                session.add(ProcessedRequest(key=key, received_at=ctx.clock.now()))
        except IntegrityError:
            log.info("duplicate delivery dropped", extra={"request_key": key})
            return BoltResponse(status=200, body="")
        except DATABASE_ERRORS:
            log.warning(
                "database unavailable while recording a request", extra={"request_key": key}
            )
        return await next()

    @app.error
    async def on_error(error: Exception, body: dict[str, Any], request: AsyncBoltRequest) -> None:
        await tell_user_about_failure(ctx, error, body)


def failure_message(error: Exception) -> str:
    if isinstance(error, DATABASE_ERRORS):
        return text("errors.database_down")
    return text("errors.try_again")


async def tell_user_about_failure(ctx: AppContext, error: Exception, body: dict[str, Any]) -> None:
    """Log with ids only, then tell the person plainly, in an ephemeral or DM, to try again."""
    user_id = body.get("user_id") or (body.get("user") or {}).get("id")
    log.error(
        "listener failed",
        extra={"user": user_id, "error_type": type(error).__name__, "kind": body.get("type")},
        exc_info=(type(error), error, error.__traceback__),
    )
    if not user_id:
        return
    message = failure_message(error)
    try:
        response_url = body.get("response_url") or next(
            iter(r.get("response_url") for r in body.get("response_urls") or []), None
        )
        if response_url:
            await AsyncWebhookClient(response_url).send(text=message, response_type="ephemeral")
        else:
            await ctx.client.chat_postMessage(channel=user_id, text=message)
    except Exception as exc:  # Slack itself is failing: nothing more we can do but log
        log.error(
            "could not tell the user about a failure", extra={"error_type": type(exc).__name__}
        )


def parse_json(value: str | None) -> dict[str, Any]:
    """private_metadata and button values are untrusted: bad JSON is treated as empty."""
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
