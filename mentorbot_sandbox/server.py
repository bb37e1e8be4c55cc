"""The HTTP face of the fake: Web API endpoint, file upload URLs and response_urls.

Request handling order mirrors Slack's edge: injected faults first (nothing is stored), then
unknown method, authentication, rate limiting, and finally the method itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import Counter
from typing import Any

from aiohttp import web

from .blockkit import BlockKitError, check_message_blocks
from .faults import FaultInjector, FaultRule
from .ratelimit import METHOD_TIERS, RateLimiter
from .state import ApiError, Record, ResponseUrl
from .webapi import WebApi, as_bool


def _api_response(body: dict, status: int = 200, headers: dict | None = None) -> web.Response:
    return web.json_response(body, status=status, headers=headers, content_type="application/json")


API_GATE_LIMIT = 3.0  # seconds: Slack's ack deadline; a call held longer goes ahead


class HttpServer(WebApi):
    """Serves the Web API over aiohttp and keeps the call log, stats, faults and limits."""

    def _init_server(self, *, rate_limits: bool, rate_limit_scale: float, seed: int) -> None:
        self.faults = FaultInjector(seed)
        self.limiter = RateLimiter(rate_limit_scale) if rate_limits else None
        self.calls: list[Record] = []
        self.base_url: str | None = None
        self._runner: web.AppRunner | None = None
        self._stopping = asyncio.Event()
        # Cleared: Web API calls wait until it is set again (at most `API_GATE_LIMIT`). Slack
        # serves them on its own machines; a benchmark that times an app's ack in this process
        # clears it while the ack is on its way, so this fake's own work for the app's calls
        # (a large modal's checks: ~14 ms for the sign-up modal) does not count in the ack.
        self.api_gate = asyncio.Event()
        self.api_gate.set()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0 = any free port) and return the Web API base_url."""
        app = web.Application(client_max_size=100 * 1024 * 1024)
        self._add_routes(app)
        self._stopping.clear()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        self.root_url = f"http://{host}:{bound_port}"
        self.base_url = f"{self.root_url}/api/"
        return self.base_url

    def _add_routes(self, app: web.Application) -> None:
        """Slack's HTTP endpoints; subclasses add theirs (the Socket Mode link)."""
        app.router.add_route("*", "/api/{method}", self._handle_api)
        app.router.add_post("/_upload/{file_id}", self._handle_upload)
        app.router.add_post("/_response/{url_id}", self._handle_response_url)
        app.router.add_get("/_files/{file_id}/{name}", self._handle_file_download)
        app.router.add_get("/_files/{file_id}/download/{name}", self._handle_file_download)

    async def stop(self) -> None:
        """Stop listening; requests held by a ``timeout`` fault are released first."""
        self._stopping.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def stats(self) -> dict[str, Any]:
        """Per-method call/error/429 counts, derived from :attr:`calls`."""
        limited = Counter(c["method"] for c in self.calls if c["status"] == 429)
        return {
            "calls": dict(Counter(c["method"] for c in self.calls)),
            "errors": dict(Counter(c["method"] for c in self.calls if not c["ok"])),
            "ratelimited": dict(limited),
            "total_calls": len(self.calls),
            "total_ratelimited": sum(limited.values()),
        }

    # -- Web API -------------------------------------------------------------------------
    async def _read_args(self, request: web.Request) -> tuple[dict[str, Any], str | None]:
        """Merge query, JSON or form arguments; return them with the token (header or field)."""
        args: dict[str, Any] = dict(request.query)
        if request.content_type == "application/json":
            raw = await request.read()
            if raw.strip():
                body = json.loads(raw)
                if not isinstance(body, dict):
                    raise ValueError("JSON body must be an object")
                args.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            args.update({k: v for k, v in form.items() if isinstance(v, str)})
        token = args.pop("token", None)
        auth = request.headers.get("Authorization")
        if auth is not None:
            scheme, _, value = auth.partition(" ")
            token = value.strip() if scheme.lower() == "bearer" else ""
        return args, token

    def _record_call(
        self, method: str, args: dict, status: int, error: str | None, fault: str | None = None
    ) -> None:
        self.calls.append(
            Record(
                method=method,
                args=args,
                status=status,
                ok=error is None and status == 200,
                error=error,
                fault=fault,
                time=time.monotonic(),
            )
        )

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if not self.api_gate.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.api_gate.wait(), timeout=API_GATE_LIMIT)
        try:
            args, token = await self._read_args(request)
        except ValueError:
            self._record_call(method, {}, 200, "invalid_json")
            return _api_response({"ok": False, "error": "invalid_json"})
        rule = self.faults.pick(method, args)
        if rule is not None and rule.kind != "answer_lost":
            return await self._apply_fault(rule, method, args, request)
        response = self._carry_out(method, args, token)
        if rule is not None:  # answer_lost: done, but the answer comes too late for the client
            self.calls[-1].fault = rule.kind
            await self._hold(rule.delay)
        return response

    async def _hold(self, seconds: float) -> None:
        """Wait, as a slow answer does; the server's stop ends the wait."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    def _carry_out(self, method: str, args: dict, token: str | None) -> web.Response:
        error = None
        if method not in METHOD_TIERS:
            error = "unknown_method"
        elif not token:
            error = "not_authed"
        elif token != self.bot_token:
            error = "invalid_auth"
        if error is not None:
            self._record_call(method, args, 200, error)
            return _api_response({"ok": False, "error": error})
        if self.limiter is not None:
            channel = args.get("channel")
            channel = self._dms.get(channel, channel) if isinstance(channel, str) else None
            retry_after = self.limiter.acquire(method, channel=channel)
            if retry_after is not None:
                return self._ratelimited(method, args, retry_after)
        try:
            result = self._dispatch(method, args)
        except ApiError as exc:
            body: dict[str, Any] = {"ok": False, "error": exc.code}
            if exc.messages:
                body["response_metadata"] = {"messages": exc.messages}
            self._record_call(method, args, 200, exc.code)
            return _api_response(body)
        self._record_call(method, args, 200, None)
        return _api_response({"ok": True, **result})

    def _dispatch(self, method: str, args: dict) -> dict:
        """Run a method; arguments of the wrong shape become Slack's invalid_arguments."""
        try:
            return getattr(self, "_api_" + method.replace(".", "_"))(args)
        except (TypeError, ValueError, AttributeError) as exc:
            messages = [f"[ERROR] invalid arguments: {exc}"]
            self._record_rejection(method, "invalid_arguments", messages)
            raise ApiError("invalid_arguments", messages) from exc

    def _ratelimited(
        self, method: str, args: dict, retry_after: int, fault: str | None = None
    ) -> web.Response:
        self._record_call(method, args, 429, "ratelimited", fault)
        return _api_response(
            {"ok": False, "error": "ratelimited"},
            status=429,
            headers={"Retry-After": str(retry_after)},
        )

    async def _apply_fault(
        self, rule: FaultRule, method: str, args: dict, request: web.Request
    ) -> web.StreamResponse:
        kind = rule.kind
        if kind == "ratelimited":
            return self._ratelimited(method, args, rule.retry_after, fault=kind)
        if kind == "internal_error":
            self._record_call(method, args, 200, "internal_error", kind)
            return _api_response({"ok": False, "error": "internal_error"})
        if kind == "disconnect":
            self._record_call(method, args, 0, "disconnect", kind)
            if request.transport is not None:
                request.transport.close()
            raise asyncio.CancelledError
        if kind == "timeout":
            self._record_call(method, args, 503, "timeout", kind)
            await self._hold(rule.delay)
            status = 503
        else:
            status = 500 if kind == "http_500" else 503
            self._record_call(method, args, status, kind, kind)
        return web.Response(
            status=status, text=f"<html><body>{status}</body></html>", content_type="text/html"
        )

    # -- uploads and downloads -----------------------------------------------------------
    async def _handle_upload(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["file_id"])
        if file is None or file["completed"]:
            return web.Response(status=404, text="file_not_found")
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            part = await reader.next()
            data = await part.read() if isinstance(part, web.BodyPartReader) else b""
        else:
            data = await request.read()
        file["content"] = bytes(data)
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _handle_file_download(self, request: web.Request) -> web.Response:
        file = self.files.get(request.match_info["file_id"])
        if request.headers.get("Authorization") != f"Bearer {self.bot_token}":
            return web.Response(status=403, text="forbidden")
        if file is None or file["content"] is None or not file.get("app_can_read", True):
            return web.Response(status=404, text="file_not_found")
        return web.Response(body=file["content"], content_type="application/octet-stream")

    # -- response_url --------------------------------------------------------------------
    async def _handle_response_url(self, request: web.Request) -> web.Response:
        rurl = self._response_urls.get(request.match_info["url_id"])
        if rurl is None:
            return _api_response({"ok": False, "error": "invalid_url"}, status=404)
        if (
            rurl.uses >= self.response_url_uses
            or time.monotonic() - rurl.created > self.response_url_ttl
        ):
            return _api_response({"ok": False, "error": "expired_url"}, status=404)
        raw = await request.read()
        try:
            if request.content_type == "application/x-www-form-urlencoded":
                payload = json.loads((await request.post())["payload"])
            else:
                payload = json.loads(raw)
        except (ValueError, KeyError):
            return _api_response({"ok": False, "error": "invalid_payload"}, status=400)
        rurl.uses += 1
        try:
            self._deliver_response(rurl, payload, "response_url")
        except ApiError as exc:
            return _api_response({"ok": False, "error": exc.code}, status=400)
        return _api_response({"ok": True})

    def _deliver_response(self, rurl: ResponseUrl, payload: Any, source: str) -> None:
        """Apply a response_url/immediate-response message the way Slack renders it."""
        if not isinstance(payload, dict):
            raise ApiError("invalid_payload")
        original = self._original_of(rurl)
        if as_bool(payload.get("delete_original")):
            if original is None:
                raise ApiError("message_not_found")
            if rurl.ephemeral:
                self._ephemerals[rurl.user_id].remove(original)
            else:
                self._delete_message(rurl.channel_id, original["ts"])
            return
        text, blocks = payload.get("text"), payload.get("blocks")
        if blocks is not None:
            try:
                check_message_blocks(blocks)
            except BlockKitError as exc:
                self._record_rejection(source, exc.code, exc.messages)
                raise ApiError(exc.code, exc.messages) from exc
        if not text and not blocks:
            self._record_rejection(source, "no_text", [])
            raise ApiError("no_text")
        if as_bool(payload.get("replace_original")) and original is not None:
            self._edit_message(original, text=text or "", blocks=blocks or [])
            return
        thread_ts = payload.get("thread_ts")
        if payload.get("response_type") == "in_channel":
            self._store_message(
                rurl.channel_id, text=text or "", blocks=blocks, thread_ts=thread_ts
            )
            return
        eph = self._add_ephemeral(
            rurl.user_id,
            rurl.channel_id,
            source=source,
            text=text or "",
            blocks=blocks,
            thread_ts=thread_ts,
        )
        if rurl.message_ts is None:
            rurl.message_ts, rurl.ephemeral = eph["ts"], True

    def _original_of(self, rurl: ResponseUrl) -> Record | None:
        if rurl.message_ts is None:
            return None
        if rurl.ephemeral:
            return self._find_ephemeral(rurl.user_id, rurl.message_ts)
        return self._find_message(rurl.channel_id, rurl.message_ts)
