"""Bolt middleware: process each Slack request once, and answer failures where the person is."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import json
import logging
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import InterfaceError as SAInterfaceError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.context import AppContext
from bot.db import table_of
from bot.listeners import Replay, Routes
from bot.models import ProcessedRequest
from bot.slack_client import SlackUnreachable
from bot.texts import text

log = logging.getLogger(__name__)

RECORD_REQUEST = insert(table_of(ProcessedRequest))  # Core: see `table_of`
DATABASE_ERRORS = (OperationalError, SAInterfaceError, ConnectionError, OSError)


def request_key(body: dict[str, Any]) -> str | None:
    """A stable id for one delivery: Events API `event_id`, else the interaction's `trigger_id`."""
    if body.get("type") == "event_callback" and body.get("event_id"):
        key = f"event:{body['event_id']}"
    elif body.get("trigger_id"):
        key = f"trigger:{body['trigger_id']}"
    else:
        return None
    # The column holds 200 characters; an over-long (hostile) id is kept as its digest instead of
    # failing the insert (PostgreSQL refuses it) or being cut short (two ids would collide).
    if len(key) > 120:
        key = "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()
    return key


class Repeated(Exception):
    """This delivery was recorded before (Slack retried it, or it was replayed): drop it."""


async def record_delivery(session: AsyncSession, body: dict[str, Any], now: dt.datetime) -> None:
    """Record the delivery in the transaction that stores its effect (`Replay.IN_TRANSACTION`).

    Call it first in that transaction. A repeat raises `Repeated`, which rolls the transaction
    back: its effect is stored once, and the first delivery's transaction, while it runs,
    holds the repeat back on the unique key until it commits.
    """
    key = request_key(body)
    if key is None:
        return
    try:
        await session.execute(RECORD_REQUEST, {"key": key, "received_at": now})
    except IntegrityError as exc:
        log.info("duplicate delivery dropped", extra={"request_key": key})
        raise Repeated(key) from exc


def register(app: AsyncApp, ctx: AppContext, routes: Routes) -> None:
    """Install de-duplication and the error handler on the app."""

    @app.middleware
    async def process_once(body: dict[str, Any], next: Any) -> BoltResponse | None:
        key = request_key(body)
        if key is None or routes.replay(body) is not Replay.DROPPED:
            return await next()
        try:
            async with ctx.db.ack_session() as session:
                # A Core insert: one statement, no unit of work to flush (every request pays it)
                await session.execute(RECORD_REQUEST, {"key": key, "received_at": ctx.clock.now()})
        except IntegrityError:
            log.info("duplicate delivery dropped", extra={"request_key": key})
            return BoltResponse(status=200, body="")
        except DATABASE_ERRORS:
            log.warning(
                "database unavailable while recording a request", extra={"request_key": key}
            )
        return await next()

    @app.error
    async def on_error(
        error: Exception,
        body: dict[str, Any],
        request: AsyncBoltRequest,
        response: BoltResponse | None,
    ) -> BoltResponse | None:
        # `response` is set when the failure came before the listener acked: Bolt would answer
        # Slack with a bare 500 (Slack then shows the person a generic error, or retries). Answer
        # 200 instead, with the message where Slack shows it, so nobody is left guessing.
        answer = await tell_user_about_failure(ctx, error, body, can_answer=response is not None)
        if response is None:
            keep_ack(request)
            return None
        return answer or BoltResponse(status=200, body="")


def keep_ack(request: AsyncBoltRequest) -> None:
    """Work around Bolt (1.30) resetting the ack when a listener fails after acking.

    Bolt's runner sets `ack.response = None` once this handler returns, while it is still polling
    for the ack: if it had not seen it yet, Slack gets nothing for 3 s and then a 500 (people see
    an error, events are retried). Put the ack back as soon as the runner's task yields.
    """
    ack = request.context.ack
    acked = ack.response if ack is not None else None
    if acked is not None:
        asyncio.get_running_loop().call_soon(setattr, ack, "response", acked)


def failure_message(error: Exception) -> str:
    # SlackUnreachable is an OSError too: check it first so Slack trouble never blames the database.
    if isinstance(error, DATABASE_ERRORS) and not isinstance(error, SlackUnreachable):
        return text("errors.database_down")
    return text("errors.try_again")


def _acting_user(body: dict[str, Any]) -> str | None:
    """The Slack user behind a request, if the body (which may be malformed) says."""
    user = body.get("user_id") or body.get("user")
    if isinstance(user, dict):
        user = user.get("id")
    return user if isinstance(user, str) and user else None


def _kind(body: dict[str, Any]) -> str | None:
    kind = body.get("type")
    return kind[:40] if isinstance(kind, str) else None  # logged: never a payload's free text


def _first_input_block(body: dict[str, Any]) -> str | None:
    view = body.get("view")
    blocks = view.get("blocks") if isinstance(view, dict) else None
    for block in blocks if isinstance(blocks, list) else []:
        if isinstance(block, dict) and block.get("type") == "input":
            block_id = block.get("block_id")
            if isinstance(block_id, str) and block_id:
                return block_id
    return None


def _answer_in_ack(body: dict[str, Any], message: str) -> BoltResponse | None:
    """The failure as the ack itself: a field error in a modal, an ephemeral for a command."""
    if body.get("type") == "view_submission":
        block_id = _first_input_block(body)
        if block_id is None:
            return None
        payload = {"response_action": "errors", "errors": {block_id: message}}
    elif body.get("command"):
        payload = {"response_type": "ephemeral", "text": message}
    else:
        return None
    return BoltResponse(
        status=200, body=json.dumps(payload), headers={"content-type": "application/json"}
    )


def _response_url(body: dict[str, Any]) -> str | None:
    url = body.get("response_url")
    urls = body.get("response_urls")
    if not url and isinstance(urls, list):
        url = next((r.get("response_url") for r in urls if isinstance(r, dict)), None)
    return url if isinstance(url, str) and url else None


async def tell_user_about_failure(
    ctx: AppContext, error: Exception, body: dict[str, Any], *, can_answer: bool = False
) -> BoltResponse | None:
    """Log with ids only, then tell the person plainly to try again.

    Returns the ack to send when the failure came before the listener acked (`can_answer`) and
    the message fits in it (modal field error, command ephemeral); otherwise an ephemeral
    (response_url) or a DM carries it.
    """
    user_id = _acting_user(body)
    log.error(
        "listener failed",
        extra={"user": user_id, "error_type": type(error).__name__, "kind": _kind(body)},
        exc_info=(type(error), error, error.__traceback__),
    )
    message = failure_message(error)
    answer = _answer_in_ack(body, message) if can_answer else None
    if not user_id or answer is not None:
        return answer
    try:
        response_url = _response_url(body)
        if response_url:
            await AsyncWebhookClient(response_url).send(text=message, response_type="ephemeral")
        else:
            await ctx.client.chat_postMessage(channel=user_id, text=message)
    except Exception as exc:  # Slack itself is failing: nothing more we can do but log
        log.error(
            "could not tell the user about a failure", extra={"error_type": type(exc).__name__}
        )
    return None


def parse_json(value: str | None) -> dict[str, Any]:
    """private_metadata and button values are untrusted: bad JSON is treated as empty."""
    if not value:
        return {}
    try:
        parsed = json.loads(value)
    except (ValueError, TypeError):
        return {}
    return parsed if isinstance(parsed, dict) else {}
