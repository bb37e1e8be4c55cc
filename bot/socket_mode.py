"""Socket Mode: Slack's requests arrive over a WebSocket the bot opens, so no public URL is needed.

The connection is ours rather than slack_sdk's `SocketModeClient` (which Bolt's
`AsyncSocketModeHandler` runs) because of how that client fails in production: it retries a
refused app token every few seconds forever while the process looks healthy, its `connect()`
never returns to let SIGTERM stop the process, it closes the socket while Bolt still has acks to
send ("Cannot write to closing transport": Slack shows the person an error although the work was
done), and on a refresh it closes the old connection before the new one is up. Here:

* `apps.connections.open` refusing the token (`invalid_auth`...) is fatal: `SocketModeRefused`;
  Slack unreachable is retried with capped, jittered backoff; `connected` says whether a
  connection is up (the `/healthz` answer).
* Each envelope is dispatched to the same Bolt app as HTTP requests, and always acked (with the
  response payload where Slack accepts one), even when it is malformed, of an unknown type or
  larger than the HTTP endpoint accepts: logged, acked, dropped; the connection carries on.
* On `disconnect` (a refresh) the new connection is opened while the old one finishes its acks.
* `close()` stops reading, waits for pending acks, then closes the socket.

Slack ids, envelope types and sizes are logged; never payloads, URLs (they hold a ticket) or
tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp, AsyncBoltRequest
from slack_sdk.errors import SlackApiError

from bot.slack_client import build_client

log = logging.getLogger(__name__)

#: `apps.connections.open` errors that no retry can fix: the token is wrong, revoked or lacks
#: `connections:write`. Anything else (Slack down, 5xx, rate limits) is retried.
FATAL_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "invalid_token",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "not_allowed_token_type",
        "missing_scope",
        "no_permission",
        "missing_args",
    }
)
ENVELOPE_TYPES = frozenset({"events_api", "slash_commands", "interactive"})
#: The HTTP endpoint refuses bodies over 1 MiB (`client_max_size`); envelopes get the same limit.
MAX_ENVELOPE_BYTES = 1024 * 1024
#: Frames beyond this are refused by aiohttp itself (the connection is then re-opened).
MAX_FRAME_BYTES = 4 * MAX_ENVELOPE_BYTES
PING_INTERVAL = 10.0
BACKOFF_FIRST, BACKOFF_CAP = 1.0, 30.0
REFRESH_REASONS = frozenset({"refresh_requested", "warning"})


class SocketModeRefused(Exception):
    """Slack refused the app-level token: retrying cannot help, the operator must fix it."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(eq=False)
class _Link:
    """One WebSocket connection: its reader, the envelopes it still owes acks for, its fate."""

    ws: aiohttp.ClientWebSocketResponse
    in_flight: set[asyncio.Task[None]] = field(default_factory=set)
    hello: bool = False
    ended: asyncio.Future[str] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def end(self, reason: str) -> None:
        if not self.ended.done():
            self.ended.set_result(reason)


def backoff(attempt: int) -> float:
    """Seconds before connection attempt `attempt + 1`: 1, 2, 4... up to 30, with jitter."""
    return random.uniform(0.5, 1.0) * min(BACKOFF_CAP, BACKOFF_FIRST * 2**attempt)


class SocketModeConnection:
    """Keeps the bot connected over Socket Mode and hands every envelope to the Bolt app."""

    def __init__(
        self, bolt_app: AsyncApp, *, app_token: str, api_url: str, timeout: float = 10.0
    ) -> None:
        self.bolt_app = bolt_app
        # Its own client: the app-level token, and no retries inside a call (the loop backs off).
        self.client = build_client(app_token, api_url, timeout=timeout, max_retries=0)
        self.app_token = app_token
        self.connects = 0
        self.task: asyncio.Task[None] | None = None
        self._links: list[_Link] = []
        self._stopping = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None

    @property
    def connected(self) -> bool:
        """A connection is open and Slack has said hello on it."""
        return any(link.hello and not link.ws.closed for link in self._links)

    def start(self) -> asyncio.Task[None]:
        self.task = asyncio.create_task(self._run(), name="socket-mode")
        return self.task

    def raise_if_failed(self) -> None:
        """Re-raise what ended the connection on its own (`SocketModeRefused`), if anything."""
        if self.task is not None and self.task.done() and not self.task.cancelled():
            self.task.result()

    async def close(self, grace: float) -> None:
        """Stop: let every envelope already received be acked (up to `grace` s), then close."""
        self._stopping.set()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace
        while True:  # envelopes that arrive meanwhile are answered too
            pending = {task for link in self._links for task in link.in_flight if not task.done()}
            remaining = deadline - loop.time()
            if not pending or remaining <= 0:
                break
            log.info("socket mode: sending pending acks", extra={"pending": len(pending)})
            await asyncio.wait(pending, timeout=remaining)
        if pending:
            log.warning("socket mode: acks not sent in time", extra={"pending": len(pending)})
        for link in list(self._links):
            await link.ws.close()
        if self.task is not None and not self.task.done():
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task
        if self._session is not None:
            await self._session.close()
        await self.client.aclose()

    # -- connecting ------------------------------------------------------------------------
    async def _run(self) -> None:
        self._session = aiohttp.ClientSession()
        attempt = 0
        while not self._stopping.is_set():
            link = await self._open(attempt)
            if link is None:
                await self._pause(backoff(attempt))
                attempt += 1
                continue
            reader = asyncio.create_task(self._read(link), name="socket-mode-reader")
            reason = await link.ended
            if link.hello:
                attempt = 0
            if self._stopping.is_set():
                return
            if reason in REFRESH_REASONS:
                # The old link keeps reading and acking until its envelopes are done.
                retire = asyncio.create_task(self._retire(link, reader))
                link.in_flight.add(retire)  # close() waits for it like for an ack
                continue
            await reader
            if reason == "link_disabled":
                log.warning("socket mode: Slack disabled this app's connection; retrying")
            await self._pause(backoff(attempt))
            attempt += 1

    async def _open(self, attempt: int) -> _Link | None:
        """A new connection, or None (logged) if this attempt failed for a reason worth a retry."""
        try:
            response = await self.client.apps_connections_open(app_token=self.app_token)
            url = response["url"]
        except SlackApiError as exc:
            error = str(exc.response.get("error", "")) if exc.response is not None else ""
            if error in FATAL_ERRORS:
                log.error("socket mode: Slack refused the app token", extra={"error": error})
                raise SocketModeRefused(error) from None
            self._log_retry(attempt, error or "unknown")
            return None
        except (OSError, TimeoutError, KeyError) as exc:
            self._log_retry(attempt, type(exc).__name__)
            return None
        assert self._session is not None
        try:
            ws = await self._session.ws_connect(
                url, heartbeat=PING_INTERVAL, max_msg_size=MAX_FRAME_BYTES
            )
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._log_retry(attempt, type(exc).__name__)
            return None
        link = _Link(ws)
        self._links.append(link)
        return link

    @staticmethod
    def _log_retry(attempt: int, error: str) -> None:
        log.warning(
            "socket mode: cannot connect to Slack; retrying",
            extra={"error": error, "attempt": attempt + 1},
        )

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _retire(self, link: _Link, reader: asyncio.Task[None]) -> None:
        """Close a link Slack asked us to leave once it owes no acks (at most 10 s)."""
        others = {task for task in link.in_flight if task is not asyncio.current_task()}
        if others:
            await asyncio.wait(others, timeout=10)
        await link.ws.close()
        await reader

    # -- reading ---------------------------------------------------------------------------
    async def _read(self, link: _Link) -> None:
        try:
            async for message in link.ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._receive(link, message.data)
                elif message.type == aiohttp.WSMsgType.ERROR:
                    error = link.ws.exception()
                    log.warning(
                        "socket mode: connection error",
                        extra={"error_type": type(error).__name__ if error else "unknown"},
                    )
        finally:
            if link in self._links:
                self._links.remove(link)
            was_up = link.hello
            link.end("closed")
            if was_up and not self._stopping.is_set():
                log.info("socket mode: connection closed", extra={"code": link.ws.close_code})

    def _receive(self, link: _Link, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            message = None
        if not isinstance(message, dict):
            log.warning("socket mode: malformed message ignored", extra={"bytes": len(data)})
            return
        kind = message.get("type")
        if kind == "hello":
            link.hello = True
            self.connects += 1
            log.info(
                "socket mode: connected" if self.connects == 1 else "socket mode: reconnected",
                extra={"connections": message.get("num_connections"), "connects": self.connects},
            )
        elif kind == "disconnect":
            reason = message.get("reason")
            reason = reason if isinstance(reason, str) else "unknown"
            log.info("socket mode: Slack asked to reconnect", extra={"reason": reason[:40]})
            link.end(reason)
        elif isinstance(message.get("envelope_id"), str):
            task = asyncio.create_task(self._answer(link, message, len(data)))
            link.in_flight.add(task)
            task.add_done_callback(link.in_flight.discard)
        else:
            log.warning(
                "socket mode: message without envelope_id ignored",
                extra={"type": kind[:40] if isinstance(kind, str) else None},
            )

    async def _answer(self, link: _Link, envelope: dict[str, Any], size: int) -> None:
        """Dispatch one envelope to Bolt and ack it, whatever happens."""
        kind = envelope.get("type")
        payload = envelope.get("payload")
        response = None
        if size > MAX_ENVELOPE_BYTES:
            log.warning(
                "socket mode: oversized envelope acked, not processed", extra={"bytes": size}
            )
        elif kind not in ENVELOPE_TYPES:
            log.warning(
                "socket mode: unknown envelope type acked",
                extra={"type": kind[:40] if isinstance(kind, str) else None},
            )
        elif not isinstance(payload, dict):
            log.warning("socket mode: malformed envelope acked", extra={"type": kind})
        else:
            response = await self._dispatch(envelope, payload)
        ack: dict[str, Any] = {"envelope_id": envelope["envelope_id"]}
        if response is not None and envelope.get("accepts_response_payload") is True:
            ack["payload"] = response
        try:
            await link.ws.send_str(json.dumps(ack))
        except (ConnectionError, RuntimeError, aiohttp.ClientError):
            log.warning("socket mode: connection closed before the ack", extra={"type": kind})

    async def _dispatch(self, envelope: dict[str, Any], payload: dict[str, Any]) -> Any:
        """The Bolt app's answer as an ack payload (None for an empty ack)."""
        headers: dict[str, str | Sequence[str]] = {}
        if isinstance(envelope.get("retry_attempt"), int) and envelope["retry_attempt"] > 0:
            headers["x-slack-retry-num"] = str(envelope["retry_attempt"])
            headers["x-slack-retry-reason"] = str(envelope.get("retry_reason", ""))[:40]
        try:
            request = AsyncBoltRequest(mode="socket_mode", body=payload, headers=headers)
            response = await self.bolt_app.async_dispatch(request)
        except Exception as exc:  # a payload of the wrong shape for Bolt: never the loop's end
            log.warning(
                "socket mode: malformed envelope acked",
                extra={"type": envelope.get("type"), "error_type": type(exc).__name__},
            )
            return None
        if response.status != 200:
            log.info(
                "socket mode: envelope not handled",
                extra={"type": envelope.get("type"), "status": response.status},
            )
            return None
        if not response.body:
            return None
        content_type = (response.headers.get("content-type") or [""])[0]
        if content_type.startswith("application/json"):
            return json.loads(response.body)
        return {"text": response.body}
