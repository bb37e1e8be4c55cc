"""Socket Mode for the fake: `apps.connections.open`, the WebSocket link, envelopes and acks.

Follows Slack's published protocol (docs.slack.dev "Using Socket Mode", and the envelopes
slack_sdk's `socket_mode` package parses):

* `apps.connections.open` takes the app-level token (`xapp-…`) and answers
  `{"ok": true, "url": "ws://…/link/?ticket=…"}`; each ticket opens one connection, once.
* On connect Slack sends `{"type": "hello", "num_connections": n, …}`.
* Requests arrive as envelopes `{"envelope_id", "type", "payload", "accepts_response_payload"}`
  of type `slash_commands`, `interactive` or `events_api` (events also carry `retry_attempt` and
  `retry_reason`). The app acks with `{"envelope_id": …}` plus a `payload` where the envelope
  accepts one (a slash command's message, a modal's `response_action`), within 3 seconds.
* `{"type": "disconnect", "reason": "refresh_requested" | "warning" | "link_disabled"}` asks the
  app to reconnect; on a refresh the old connection keeps working for a while.
* An events_api envelope that is not acked in time is delivered again with `retry_attempt` + 1.

With `fake.transport = "socket"` the driver's `slash_command`, `click`, `submit_view`,
`send_event`... deliver over the link instead of HTTP, and the ack's payload is applied to the
workspace exactly as an HTTP response body would be, so flow helpers run unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import WSMsgType, web

from .driver import AppDriver, AppResponse
from .state import Record

#: The envelope type for each kind of request the driver sends.
ENVELOPE_TYPES = {
    "slash_command": "slash_commands",
    "block_actions": "interactive",
    "view_submission": "interactive",
    "view_closed": "interactive",
    "event": "events_api",
}
#: Interaction types whose ack may carry a response (Slack ignores payloads on the others).
ACCEPTS_PAYLOAD = {"slash_commands", "view_submission", "block_suggestion"}
TICKET_TTL = 30.0
MAX_RETRIES = 3  # Slack retries a failed Events API delivery three times


@dataclass
class Link:
    """One open WebSocket connection from the app."""

    id: int
    ws: web.WebSocketResponse
    request: web.Request
    opened: float
    refreshing: bool = False
    closer: asyncio.Task | None = field(default=None, repr=False)


class SocketModeDriver(AppDriver):
    """Adds Slack's Socket Mode endpoint and delivery to the HTTP fake."""

    #: How long a `refresh_requested` connection keeps working before Slack closes it.
    refresh_grace = 10.0
    #: Delay before an unacked events_api envelope is delivered again (Slack: about a minute;
    #: short here so tests stay fast).
    redelivery_delay = 0.5

    def _init_socket_mode(self, app_token: str) -> None:
        self.app_token = app_token
        #: "http" posts requests to `app_url`; "socket" sends envelopes over the app's link.
        self.transport = "http"
        #: Every envelope sent and what became of it (type, envelope_id, retry_attempt, acked).
        self.envelopes: list[Record] = []
        #: Total connections the app has opened (a reconnect makes it grow).
        self.socket_connects = 0
        self._tickets: dict[str, float] = {}
        self._links: list[Link] = []
        self._link_ids = 0
        self._link_changed = asyncio.Event()
        self._pending: dict[str, asyncio.Future] = {}
        self._acks_to_lose = 0
        self._redeliveries: set[asyncio.Task] = set()

    # -- HTTP side: apps.connections.open and the link ---------------------------------------
    def _add_routes(self, app: web.Application) -> None:
        super()._add_routes(app)
        app.router.add_get("/link/", self._handle_link)

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["method"] != "apps.connections.open":
            return await super()._handle_api(request)
        method = "apps.connections.open"
        try:
            args, token = await self._read_args(request)
        except ValueError:
            self._record_call(method, {}, 200, "invalid_json")
            return web.json_response({"ok": False, "error": "invalid_json"})
        rule = self.faults.pick(method, args)
        if rule is not None:
            return await self._apply_fault(rule, method, args, request)
        error = None
        if request.method != "POST":
            error = "insecure_request"
        elif not token:
            error = "not_authed"
        elif token.startswith("xox"):
            error = "not_allowed_token_type"  # a bot or user token, not an app-level one
        elif not secrets.compare_digest(token.encode(), self.app_token.encode()):
            error = "invalid_auth"
        if error is not None:
            self._record_call(method, args, 200, error)
            return web.json_response({"ok": False, "error": error})
        if self.limiter is not None:
            retry_after = self.limiter.acquire(method)
            if retry_after is not None:
                return self._ratelimited(method, args, retry_after)
        ticket = uuid.uuid4().hex
        self._tickets[ticket] = time.monotonic()
        self._record_call(method, args, 200, None)
        url = f"ws://{self.root_url.removeprefix('http://')}/link/?ticket={ticket}&app_id={self.app_id}"
        return web.json_response({"ok": True, "url": url})

    async def _handle_link(self, request: web.Request) -> web.StreamResponse:
        issued = self._tickets.pop(request.query.get("ticket", ""), None)
        if issued is None or time.monotonic() - issued > TICKET_TTL:
            return web.Response(status=401, text="invalid or used ticket")
        ws = web.WebSocketResponse(max_msg_size=16 * 1024 * 1024)
        await ws.prepare(request)
        self._link_ids += 1
        link = Link(self._link_ids, ws, request, time.monotonic())
        self._links.append(link)
        self.socket_connects += 1
        self._link_changed.set()
        try:
            await ws.send_json(
                {
                    "type": "hello",
                    "num_connections": len(self._open_links()),
                    "debug_info": {
                        "host": "applink-sandbox",
                        "build_number": 1,
                        "approximate_connection_time": 18060,
                    },
                    "connection_info": {"app_id": self.app_id},
                }
            )
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive_ack(message.data)
                else:
                    self._record_rejection("socket_mode", "not_text", [str(message.type)])
        finally:
            self._links.remove(link)
            self._link_changed.set()
        return ws

    def _open_links(self) -> list[Link]:
        return [link for link in self._links if not link.ws.closed]

    def _receive_ack(self, data: str) -> None:
        try:
            ack = json.loads(data)
        except ValueError:
            self._record_rejection("socket_mode", "invalid_json", [data[:200]])
            return
        envelope_id = ack.get("envelope_id") if isinstance(ack, dict) else None
        if not isinstance(envelope_id, str):
            self._record_rejection("socket_mode", "invalid_ack", [data[:200]])
            return
        if self._acks_to_lose > 0:  # lost on the way: Slack never sees it
            self._acks_to_lose -= 1
            return
        waiting = self._pending.get(envelope_id)
        if waiting is None or waiting.done():
            self.warnings.append(Record(method="socket_mode", warning="late_or_unknown_ack"))
            return
        waiting.set_result(ack.get("payload"))

    # -- what tests do -----------------------------------------------------------------------
    @property
    def socket_connections(self) -> int:
        """How many connections the app holds open now."""
        return len(self._open_links())

    def lose_next_acks(self, count: int = 1) -> None:
        """The next `count` acks from the app are lost in transit (Slack treats them as missing)."""
        self._acks_to_lose += count

    async def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send `disconnect` on every open link, as Slack does before recycling connections.

        `refresh_requested` and `warning` leave the link working for `refresh_grace` seconds;
        `link_disabled` closes it at once.
        """
        for link in self._open_links():
            await link.ws.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-sandbox"}}
            )
            if reason == "link_disabled":
                await link.ws.close()
            elif reason == "refresh_requested":
                link.refreshing = True
                link.closer = asyncio.create_task(self._close_later(link, self.refresh_grace))

    async def drop_socket_connections(self) -> None:
        """Every link drops without a close frame, as when the network goes away."""
        for link in self._open_links():
            if link.request.transport is not None:
                link.request.transport.close()

    async def send_socket_frame(self, text: str) -> None:
        """Send any text on the newest link: malformed JSON, odd envelopes (hostile-input tests)."""
        link = await self._wait_for_link()
        await link.ws.send_str(text)

    async def send_envelope(
        self,
        envelope_type: str,
        payload: Any,
        *,
        accepts_response_payload: bool = False,
        **extra: Any,
    ) -> AppResponse:
        """Deliver an envelope of any type and payload; returns the ack like a delivery does."""
        return await self._deliver_envelope(
            "envelope", b"", envelope_type, payload, accepts_response_payload, extra
        )

    # -- delivery ----------------------------------------------------------------------------
    async def _send(
        self,
        kind: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        sign: bool = True,
        timestamp: int | str | None = None,
    ) -> AppResponse:
        if self.transport != "socket":
            return await super()._send(kind, body, headers, sign=sign, timestamp=timestamp)
        envelope_type = ENVELOPE_TYPES.get(kind)
        if envelope_type is None:
            raise AssertionError(f"Socket Mode has no {kind!r} request (HTTP only)")
        headers = headers or {}
        extra: dict[str, Any] = {}
        if envelope_type == "slash_commands":
            payload: dict[str, Any] = dict(parse_qsl(body.decode(), keep_blank_values=True))
            accepts = True
        elif envelope_type == "interactive":
            payload = json.loads(dict(parse_qsl(body.decode()))["payload"])
            accepts = payload.get("type") in ACCEPTS_PAYLOAD
        else:
            payload = json.loads(body)
            accepts = False
            extra["retry_attempt"] = int(headers.get("X-Slack-Retry-Num", 0))
            extra["retry_reason"] = headers.get("X-Slack-Retry-Reason", "")
        return await self._deliver_envelope(kind, body, envelope_type, payload, accepts, extra)

    async def _wait_for_link(self) -> Link:
        """The newest link not being refreshed (or any open one), waiting up to the ack time."""
        deadline = time.monotonic() + self.ack_timeout
        while True:
            links = self._open_links()
            fresh = [link for link in links if not link.refreshing]
            if fresh or links:
                return (fresh or links)[-1]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConnectionError("the app has no Socket Mode connection open")
            self._link_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._link_changed.wait(), timeout=remaining)

    async def _deliver_envelope(
        self,
        kind: str,
        body: bytes,
        envelope_type: str,
        payload: Any,
        accepts: bool,
        extra: dict[str, Any],
    ) -> AppResponse:
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "payload": payload,
            "type": envelope_type,
            "accepts_response_payload": accepts,
            **extra,
        }
        started = time.monotonic()
        waiting = asyncio.get_running_loop().create_future()
        self._pending[envelope_id] = waiting
        acked, response = False, None
        try:
            link = await self._wait_for_link()
            await link.ws.send_str(json.dumps(envelope))
            remaining = self.ack_timeout - (time.monotonic() - started)
            response = await asyncio.wait_for(asyncio.shield(waiting), timeout=max(remaining, 0))
            acked = True
        except (TimeoutError, ConnectionError):
            pass
        finally:
            self._pending.pop(envelope_id, None)
        elapsed = time.monotonic() - started
        if response is not None and not accepts:
            self.warnings.append(Record(method="socket_mode", warning="payload_not_accepted"))
            response = None
        if acked:
            text = "" if response is None else json.dumps(response)
            result = AppResponse(200, text, elapsed, {"Content-Type": "application/json"})
        else:
            result = AppResponse(0, "", elapsed, timed_out=True)
        self.envelopes.append(
            Record(
                kind=kind,
                type=envelope_type,
                envelope_id=envelope_id,
                retry_attempt=extra.get("retry_attempt"),
                acked=acked,
                payload=response,
                elapsed=elapsed,
            )
        )
        self.acks.append(
            Record(
                kind=kind,
                status=result.status,
                elapsed=elapsed,
                timed_out=result.timed_out,
                request=body,
                transport="socket",
            )
        )
        attempt = extra.get("retry_attempt")
        if not acked and envelope_type == "events_api" and (attempt or 0) < MAX_RETRIES:
            retry = {**extra, "retry_attempt": (attempt or 0) + 1, "retry_reason": "timeout"}
            task = asyncio.create_task(self._redeliver(kind, body, payload, retry))
            self._redeliveries.add(task)
            task.add_done_callback(self._redeliveries.discard)
        return result

    async def _redeliver(self, kind: str, body: bytes, payload: Any, extra: dict) -> None:
        await asyncio.sleep(self.redelivery_delay)
        await self._deliver_envelope(kind, body, "events_api", payload, False, extra)

    async def _close_later(self, link: Link, delay: float) -> None:
        await asyncio.sleep(delay)
        await link.ws.close()

    async def stop(self) -> None:
        """Close every link (and pending redelivery) before the HTTP server stops."""
        for task in list(self._redeliveries):
            task.cancel()
        for link in list(self._links):
            if link.closer is not None:
                link.closer.cancel()
            with contextlib.suppress(Exception):
                await link.ws.close(code=1001)
        await super().stop()
