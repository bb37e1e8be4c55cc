"""Slack -> app traffic: signed slash commands, interactions, events, like Slack sends them.

Every request is signed (v0 HMAC-SHA256 of ``v0:{ts}:{raw body}``) and sent with Slack's
3-second acknowledgement deadline. Interactions can only target what Slack actually shows:
clicking an action_id that is not in the stored message/view, or submitting a modal that is
not on top of the user's stack, fails the test with an AssertionError.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import hmac
import inspect
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from typing import Any
from urllib.parse import urlencode

import httpx

from .blockkit import BlockKitError, all_options, check_view, iter_elements, json_copy
from .server import HttpServer
from .state import ApiError, Record, slack_message

VERIFICATION_TOKEN = "sandbox-verification-token"
_SINGLE_OPTION = {"static_select", "external_select", "radio_buttons", "overflow"}
_MULTI_OPTION = {"multi_static_select", "multi_external_select", "checkboxes"}
_TEXT_VALUE = {"plain_text_input", "email_text_input", "url_text_input", "number_input"}
#: element type -> (state key, initial key, kind of id it holds)
_PICKERS = {
    "users_select": ("selected_user", "initial_user", "user"),
    "multi_users_select": ("selected_users", "initial_users", "users"),
    "conversations_select": ("selected_conversation", "initial_conversation", "channel"),
    "multi_conversations_select": ("selected_conversations", "initial_conversations", "channels"),
    "channels_select": ("selected_channel", "initial_channel", "channel"),
    "multi_channels_select": ("selected_channels", "initial_channels", "channels"),
}


def sign_request(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 request signature (see slack-platform.md §2.6)."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class AppResponse:
    """The app's answer to one request from the fake (status 0 + timed_out if no ack in 3 s)."""

    status: int
    body: str
    elapsed: float
    headers: dict[str, str] = field(default_factory=dict)
    timed_out: bool = False
    errors: dict[str, str] | None = None
    view: Record | None = None

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple | set) else [value]


def _is_empty(state: dict) -> bool:
    return all(v in (None, "", []) for k, v in state.items() if k != "type")


class AppDriver(HttpServer):
    """Sends Slack's requests to ``app_url`` and applies the app's responses to the state."""

    ack_timeout = 3.0

    def _init_driver(self, *, signing_secret: str, app_url: str | None) -> None:
        self.signing_secret = signing_secret
        self.app_url = app_url
        self.acks: list[Record] = []
        self._http: httpx.AsyncClient | None = None

    async def stop(self) -> None:
        """Close the outgoing HTTP client, then stop the server."""
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        await super().stop()

    # -- transport -----------------------------------------------------------------------
    async def _send(
        self,
        kind: str,
        body: bytes,
        headers: dict[str, str] | None = None,
        *,
        sign: bool = True,
        timestamp: int | str | None = None,
    ) -> AppResponse:
        if not self.app_url:
            raise RuntimeError("fake.app_url is not set: where is the app listening?")
        if self._http is None:
            self._http = httpx.AsyncClient()
        sent = httpx.Headers({"Content-Type": "application/json", "User-Agent": "Slackbot 1.0"})
        sent.update(headers or {})
        if sign:
            ts = str(int(time.time()) if timestamp is None else timestamp)
            sent["X-Slack-Request-Timestamp"] = ts
            sent["X-Slack-Signature"] = sign_request(self.signing_secret, ts, body)
        started = time.monotonic()
        try:
            resp = await self._http.post(
                self.app_url, content=body, headers=sent, timeout=self.ack_timeout
            )
        except httpx.TimeoutException:
            result = AppResponse(0, "", time.monotonic() - started, timed_out=True)
        else:
            result = AppResponse(
                resp.status_code, resp.text, time.monotonic() - started, dict(resp.headers)
            )
        self.acks.append(
            Record(
                kind=kind,
                status=result.status,
                elapsed=result.elapsed,
                timed_out=result.timed_out,
                request=body,  # the exact bytes sent, so a test can replay a delivery
            )
        )
        return result

    async def _send_form(self, kind: str, form: dict[str, str]) -> AppResponse:
        body = urlencode(form).encode()
        return await self._send(kind, body, {"Content-Type": "application/x-www-form-urlencoded"})

    async def _send_payload(self, kind: str, payload: dict) -> AppResponse:
        return await self._send_form(kind, {"payload": json.dumps(payload)})

    async def post_raw(
        self,
        body: bytes,
        headers: dict[str, str] | None = None,
        sign: bool = True,
        timestamp: int | str | None = None,
    ) -> AppResponse:
        """Send arbitrary bytes to the app, optionally signed with a chosen timestamp.

        For hostile-input tests: bad signatures, stale timestamps, malformed bodies.
        """
        return await self._send("raw", body, headers, sign=sign, timestamp=timestamp)

    # -- common payload parts --------------------------------------------------------------
    def _require_user(self, user_id: str) -> Record:
        user = self.users.get(user_id)
        assert user is not None, f"unknown user {user_id!r}: add_user() it first"
        assert not user["deleted"], f"user {user_id!r} is deactivated and cannot use Slack"
        return user

    def _user_part(self, user: Record) -> dict:
        return {
            "id": user["id"],
            "username": user["name"],
            "name": user["name"],
            "team_id": self.team_id,
        }

    def _envelope(self, kind: str, user: Record) -> dict:
        return {
            "type": kind,
            "team": {"id": self.team_id, "domain": self.team_domain},
            "user": self._user_part(user),
            "api_app_id": self.app_id,
            "token": VERIFICATION_TOKEN,
            "enterprise": None,
            "is_enterprise_install": False,
        }

    @staticmethod
    def _channel_name(channel: Record) -> str:
        if channel["is_im"]:
            return "directmessage"
        return channel.get("name") or "privategroup"

    # -- slash commands ------------------------------------------------------------------
    async def slash_command(
        self,
        user_id: str,
        text: str = "",
        command: str = "/mentoring",
        channel_id: str | None = None,
    ) -> AppResponse:
        """Invoke a slash command as ``user_id`` (default: in the user's DM with the bot).

        Issues a fresh trigger_id and response_url; a non-empty response body is shown to the
        user as an ephemeral (or in the channel for ``response_type: in_channel``).
        """
        user = self._require_user(user_id)
        if channel_id is None:
            channel = self._open_dm(user_id)
        else:
            channel = self.channels.get(channel_id)
            assert channel is not None, f"unknown channel {channel_id!r}"
            assert user_id in channel["members"], f"{user_id} is not a member of {channel_id}"
        rurl = self._issue_response_url(user_id, channel["id"])
        form = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": self.team_domain,
            "channel_id": channel["id"],
            "channel_name": self._channel_name(channel),
            "user_id": user_id,
            "user_name": user["name"],
            "command": command,
            "text": text,
            "api_app_id": self.app_id,
            "is_enterprise_install": "false",
            "response_url": rurl.url,
            "trigger_id": self._issue_trigger(user_id),
        }
        result = await self._send_form("slash_command", form)
        if result.status == 200 and result.body.strip():
            payload = result.json if isinstance(result.json, dict) else {"text": result.body}
            # A rejected body is recorded in validation_errors; Slack shows the user an error.
            with contextlib.suppress(ApiError):
                self._deliver_response(rurl, payload, "slash_command")
        return result

    # -- block_actions -------------------------------------------------------------------
    async def click(
        self,
        user_id: str,
        action_id: str,
        *,
        channel: str | None = None,
        ts: str | None = None,
        view_id: str | None = None,
        value: Any = None,
        selected_option_value: Any = None,
        block_id: str | None = None,
    ) -> AppResponse:
        """Use an interactive element of a stored message (channel[, ts]) or view (view_id).

        ``value`` picks among buttons sharing an action_id (matching their value) or is the
        value for pickers/inputs; ``selected_option_value`` chooses an option of a select,
        overflow, radio or checkbox element. Without ``ts`` the newest message in ``channel``
        that has the action is used.
        """
        user = self._require_user(user_id)
        payload = self._envelope("block_actions", user)
        if view_id is not None:
            view = self._visible_view(user_id, view_id)
            block, element = self._find_element(
                view["blocks"], action_id, value, block_id, f"view {view_id}"
            )
            trigger_id = self._issue_trigger(user_id)
            payload.update(
                container={"type": "view", "view_id": view_id},
                view={**json_copy(view), "state": {"values": self._build_state(view, {})}},
            )
        elif channel is not None:
            msg, is_ephemeral = self._visible_message(user_id, channel, ts, action_id)
            block, element = self._find_element(
                msg["blocks"], action_id, value, block_id, f"message {channel}/{msg['ts']}"
            )
            trigger_id = self._issue_trigger(user_id)
            rurl = self._issue_response_url(user_id, channel, msg["ts"], is_ephemeral)
            container = {
                "type": "message",
                "message_ts": msg["ts"],
                "channel_id": channel,
                "is_ephemeral": is_ephemeral,
            }
            if msg.get("thread_ts"):
                container["thread_ts"] = msg["thread_ts"]
            payload.update(
                container=container,
                channel={"id": channel, "name": self._channel_name(self.channels[channel])},
                state={"values": self._build_state(msg, {})},
                response_url=rurl.url,
            )
            if not is_ephemeral:  # Slack omits the message body for ephemerals
                payload["message"] = slack_message(msg)
        else:
            raise AssertionError("click() needs channel (and optionally ts) or view_id")
        payload["trigger_id"] = trigger_id
        payload["actions"] = [self._action(block, element, value, selected_option_value)]
        return await self._send_payload("block_actions", payload)

    def _visible_view(self, user_id: str, view_id: str) -> Record:
        view = self._views.get(view_id)
        assert view is not None, f"no view {view_id!r}"
        stack = self._stacks.get(user_id, [])
        on_top = bool(stack) and stack[-1] == view_id
        assert on_top or self._homes.get(user_id) == view_id, (
            f"view {view_id} is not visible to {user_id} (modal stack: {stack}, "
            f"home: {self._homes.get(user_id)})"
        )
        return view

    def _visible_message(
        self, user_id: str, channel_id: str, ts: str | None, action_id: str
    ) -> tuple[Record, bool]:
        channel = self.channels.get(channel_id)
        assert channel is not None, f"unknown channel {channel_id!r}"
        candidates = [
            (e, True) for e in self._ephemerals.get(user_id, []) if e["channel"] == channel_id
        ]
        if user_id in channel["members"] or not channel["is_private"]:
            candidates += [(m, False) for m in self._messages.get(channel_id, [])]
        if ts is not None:
            found = [c for c in candidates if c[0]["ts"] == ts]
            assert found, f"no message with ts {ts} visible to {user_id} in {channel_id}"
            return found[0]
        with_action = [
            c
            for c in candidates
            if any(el.get("action_id") == action_id for _, el in iter_elements(c[0]["blocks"]))
        ]
        shown = sorted(
            {el.get("action_id") for m, _ in candidates for _, el in iter_elements(m["blocks"])}
        )
        assert with_action, (
            f"no message in {channel_id} visible to {user_id} has {action_id!r}; "
            f"action_ids shown there: {shown}"
        )
        return max(with_action, key=lambda c: float(c[0]["ts"]))

    @staticmethod
    def _find_element(
        blocks: list, action_id: str, value: Any, block_id: str | None, where: str
    ) -> tuple[dict, dict]:
        present = [(b, el) for b, el in iter_elements(blocks)]
        matches = [
            (b, el)
            for b, el in present
            if el.get("action_id") == action_id and block_id in (None, b.get("block_id"))
        ]
        if value is not None:
            matches = [
                (b, el) for b, el in matches if el["type"] != "button" or el.get("value") == value
            ]
        if not matches:
            shown = [(el.get("action_id"), el.get("value")) for _, el in present]
            raise AssertionError(
                f"{where} has no element {action_id!r}"
                f"{'' if value is None else f' with value {value!r}'}"
                f"{'' if block_id is None else f' in block {block_id!r}'}; "
                f"elements shown (action_id, value): {shown}"
            )
        return matches[0]

    def _action(self, block: dict, element: dict, value: Any, option: Any) -> dict:
        action = {
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "type": element["type"],
            "action_ts": f"{time.time():.6f}",
        }
        if element["type"] in ("button", "workflow_button"):
            action["text"] = element.get("text")
            for key in ("value", "style"):
                if key in element:
                    action[key] = element[key]
            return action
        chosen = option if option is not None else value
        assert chosen is not None, (
            f"{element['type']} {element['action_id']!r}: pass value= or selected_option_value="
        )
        where = f"{block['block_id']}/{element['action_id']}"
        state = self._element_state(element, chosen, given=True, where=where)
        state.pop("type")
        action.update(state)
        return action

    # -- view state ----------------------------------------------------------------------
    def _build_state(self, surface: dict, values: dict, *, submitting: bool = False) -> dict:
        """state.values for every input block: given values, else the elements' initial_*.

        With ``submitting`` the client-side checks Slack does before a submission apply.
        """
        remaining = dict(values)
        inputs = [b for b in surface["blocks"] if b.get("type") == "input"]
        counts = Counter(b["element"].get("action_id") for b in inputs)
        state: dict[str, dict] = {}
        for block in inputs:
            element = block["element"]
            block_id, action_id = block["block_id"], element["action_id"]
            where = f"{block_id}/{action_id}"
            if (block_id, action_id) in remaining:
                given, value = True, remaining.pop((block_id, action_id))
            elif action_id in remaining:
                assert counts[action_id] == 1, (
                    f"action_id {action_id!r} is in several input blocks; "
                    "key values by (block_id, action_id)"
                )
                given, value = True, remaining.pop(action_id)
            else:
                given, value = False, None
            entry = self._element_state(element, value, given=given, where=where)
            if submitting:
                self._check_submittable(block, element, entry, where)
            state.setdefault(block_id, {})[action_id] = entry
        assert not remaining, (
            f"values for inputs that are not in this view: {list(remaining)}; inputs: "
            f"{[(b['block_id'], b['element']['action_id']) for b in inputs]}"
        )
        return state

    @staticmethod
    def _check_submittable(block: dict, element: dict, entry: dict, where: str) -> None:
        """Slack's client refuses to submit a modal with these problems; so do we."""
        if not block.get("optional", False):
            assert not _is_empty(entry), f"{where} is required: Slack would not submit the modal"
        text = entry.get("value")
        if element["type"] == "plain_text_input" and text is not None:
            lo, hi = element.get("min_length", 0), element.get("max_length", 3000)
            assert lo <= len(text) <= hi, f"{where}: length {len(text)} outside {lo}..{hi}"

    def _element_state(self, element: dict, value: Any, *, given: bool, where: str) -> dict:
        kind = element["type"]
        state: dict[str, Any] = {"type": kind}
        if kind in _TEXT_VALUE:
            raw = value if given else element.get("initial_value")
            state["value"] = None if raw in (None, "") else str(raw)
        elif kind in _SINGLE_OPTION:
            if given:
                state["selected_option"] = (
                    None if value is None else self._option(element, value, where)
                )
            else:
                state["selected_option"] = element.get("initial_option")
        elif kind in _MULTI_OPTION:
            state["selected_options"] = (
                [self._option(element, v, where) for v in _as_list(value)]
                if given
                else list(element.get("initial_options") or [])
            )
        elif kind in _PICKERS:
            key, initial, id_kind = _PICKERS[kind]
            chosen = value if given else element.get(initial)
            if id_kind in ("users", "channels"):
                chosen = _as_list(chosen)
            for item in _as_list(chosen):
                known = self.users if id_kind.startswith("user") else self.channels
                assert item in known, f"{where}: {item!r} is not a known {id_kind.rstrip('s')}"
            state[key] = chosen
        elif kind == "datepicker":
            chosen = value if given else element.get("initial_date")
            state["selected_date"] = chosen.isoformat() if isinstance(chosen, date) else chosen
        elif kind == "timepicker":
            chosen = value if given else element.get("initial_time")
            state["selected_time"] = (
                chosen.strftime("%H:%M") if isinstance(chosen, dtime) else chosen
            )
        elif kind == "datetimepicker":
            chosen = value if given else element.get("initial_date_time")
            state["selected_date_time"] = (
                int(chosen.timestamp()) if isinstance(chosen, datetime) else chosen
            )
        elif kind == "rich_text_input":
            chosen = value if given else element.get("initial_value")
            if isinstance(chosen, str):
                chosen = {
                    "type": "rich_text",
                    "elements": [
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "text", "text": chosen}],
                        }
                    ],
                }
            state["rich_text_value"] = chosen
        elif kind == "file_input":
            state["files"] = [self._submitted_file(f, where) for f in _as_list(value)]
            limit = element.get("max_files", 10)
            assert len(state["files"]) <= limit, f"{where}: at most {limit} files can be picked"
        else:
            raise AssertionError(f"{where}: the sandbox cannot fill a {kind!r} element")
        return state

    def _submitted_file(self, file: Any, where: str) -> dict:
        """A file given to a file_input (its id or the Record from add_file): Slack uploads it
        for the app, which can then read it, and the state carries the whole file object."""
        file_id = file["id"] if isinstance(file, dict) else file
        stored = self.files.get(file_id)
        assert stored is not None, f"{where}: {file_id!r} is not a file: add_file() it first"
        stored["app_can_read"] = True
        return self._public_file(stored)

    @staticmethod
    def _option(element: dict, value: Any, where: str) -> dict:
        if isinstance(value, dict):
            value = value.get("value")
        if element["type"].endswith("external_select"):
            return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
        options = all_options(element)
        for opt in options:
            if opt.get("value") == value:
                return copy.deepcopy(opt)
        offered = [o.get("value") for o in options]
        raise AssertionError(f"{where}: option {value!r} is not offered; options: {offered}")

    # -- view_submission / view_closed -----------------------------------------------------
    async def submit_view(
        self,
        user_id: str,
        view_id: str,
        values: dict | None = None,
        *,
        raw_payload_edit: Callable[[dict], dict | None] | None = None,
    ) -> AppResponse:
        """Submit the modal on top of the user's stack with ``values`` for its inputs.

        ``values`` maps action_id or (block_id, action_id) to a plain value (str, list of option
        values, user/channel ids, "YYYY-MM-DD", "HH:MM"...). Unspecified inputs keep their
        initial value. The app's response is applied like Slack: close, errors, update, push,
        clear; ``result.errors`` and ``result.view`` report the outcome.
        """
        user = self._require_user(user_id)
        view = self._visible_view(user_id, view_id)
        assert view_id != self._homes.get(user_id), "home tabs cannot be submitted"
        assert view.get("submit"), f"view {view_id} has no submit button"
        payload = self._envelope("view_submission", user)
        payload.update(
            trigger_id=self._issue_trigger(user_id),
            view={
                **json_copy(view),
                "state": {"values": self._build_state(view, values or {}, submitting=True)},
            },
            response_urls=[],
        )
        if raw_payload_edit is not None:
            payload = raw_payload_edit(payload) or payload
        result = await self._send_payload("view_submission", payload)
        self._apply_submission(user_id, view, result)
        stack = self._stacks.get(user_id, [])
        result.view = self._views[stack[-1]] if stack else None
        return result

    def _apply_submission(self, user_id: str, view: Record, result: AppResponse) -> None:
        if result.timed_out or result.status != 200:
            return  # Slack shows "We had some trouble connecting" and keeps the modal
        if not result.body.strip():
            self._close_view(view["id"])
            return
        data = result.json
        if not isinstance(data, dict):
            self._record_rejection("view_submission", "invalid_response", [result.body[:200]])
            return
        action = data.get("response_action")
        if action is None:
            self._close_view(view["id"])
        elif action == "clear":
            self._stacks[user_id].clear()
        elif action == "errors":
            self._apply_errors(view, data.get("errors"), result)
        elif action in ("update", "push"):
            new_view = data.get("view")
            try:
                check_view(new_view)
                if new_view["type"] != "modal":
                    raise BlockKitError("invalid_arguments", ["[ERROR] must be a modal"])
            except BlockKitError as exc:
                self._record_rejection(f"view_submission:{action}", exc.code, exc.messages)
                return
            if action == "update":
                self._replace_view(view["id"], new_view)
            elif len(self._stacks[user_id]) >= 3:
                self._record_rejection("view_submission:push", "push_limit_reached", [])
            else:
                self._open_modal(user_id, new_view, push=True)
        else:
            self._record_rejection("view_submission", "invalid_response_action", [str(action)])

    def _apply_errors(self, view: Record, errors: Any, result: AppResponse) -> None:
        input_ids = {b["block_id"] for b in view["blocks"] if b.get("type") == "input"}
        if not isinstance(errors, dict) or not errors:
            self._record_rejection("view_submission:errors", "invalid_errors", [repr(errors)])
            return
        unknown = sorted(set(errors) - input_ids)
        if unknown:
            self._record_rejection(
                "view_submission:errors",
                "invalid_errors",
                [f"errors for block_ids that are not input blocks: {unknown}"],
            )
            return
        result.errors = dict(errors)

    async def close_view(self, user_id: str, view_id: str) -> AppResponse | None:
        """The user dismisses the top modal; sends view_closed if notify_on_close is set."""
        user = self._require_user(user_id)
        view = self._visible_view(user_id, view_id)
        stack = self._stacks[user_id]
        cleared = bool(view["clear_on_close"])
        if cleared:
            stack.clear()
        else:
            stack.pop()
        if not view["notify_on_close"]:
            return None
        payload = self._envelope("view_closed", user)
        payload.update(view=copy.deepcopy(view), is_cleared=cleared)
        return await self._send_payload("view_closed", payload)

    # -- Events API ----------------------------------------------------------------------
    async def send_event(
        self,
        event: dict,
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> AppResponse:
        """Deliver an event_callback envelope; pass retry_num to emulate Slack's redelivery."""
        event = {"event_ts": f"{time.time():.6f}", **event}
        envelope = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "api_app_id": self.app_id,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or self._next_id("Ev"),
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": self.team_id,
                    "user_id": self.bot_user_id,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "is_ext_shared_channel": False,
            "event_context": f"4-{self._rng.getrandbits(64):016x}",
        }
        headers = {"Content-Type": "application/json"}
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return await self._send("event", json.dumps(envelope).encode(), headers)

    async def open_home(self, user_id: str) -> AppResponse:
        """The user opens the app's Home tab (app_home_opened, tab=home)."""
        self._require_user(user_id)
        event: dict[str, Any] = {
            "type": "app_home_opened",
            "user": user_id,
            "channel": self._open_dm(user_id)["id"],
            "tab": "home",
        }
        home = self.home(user_id)
        if home is not None:
            event["view"] = copy.deepcopy(home)
        return await self.send_event(event)

    async def post_user_message(
        self, user_id: str, text: str, channel: str | None = None, thread_ts: str | None = None
    ) -> AppResponse:
        """A user writes a message (default: their DM with the bot); stored, then sent as event."""
        self._require_user(user_id)
        conv = self._open_dm(user_id) if channel is None else self.channels.get(channel)
        assert conv is not None, f"unknown channel {channel!r}"
        assert user_id in conv["members"], f"{user_id} is not a member of {conv['id']}"
        msg = self._store_message(conv["id"], user=user_id, text=text, thread_ts=thread_ts)
        channel_type = self._channel_type(conv)
        event = {
            "type": "message",
            "channel": conv["id"],
            "user": user_id,
            "text": text,
            "ts": msg["ts"],
            "event_ts": msg["ts"],
            "channel_type": channel_type,
        }
        if thread_ts:
            event["thread_ts"] = thread_ts
        return await self.send_event(event)

    async def share_file(
        self, user_id: str, file: Any, text: str = "", channel: str | None = None
    ) -> AppResponse:
        """The user shares a file they uploaded (add_file) in a conversation, by default their
        DM with the bot: stored as a ``file_share`` message, then sent as its message event."""
        stored = self.files[file["id"] if isinstance(file, dict) else file]
        assert stored["user"] == user_id, f"{stored['id']} was uploaded by {stored['user']}"
        self._require_user(user_id)
        conv = self._open_dm(user_id) if channel is None else self.channels.get(channel)
        assert conv is not None, f"unknown channel {channel!r}"
        assert user_id in conv["members"], f"{user_id} is not a member of {conv['id']}"
        stored["channels"].append(conv["id"])
        if self.bot_user_id in conv["members"]:
            stored["app_can_read"] = True
        shared = self._public_file(stored)
        msg = self._store_message(
            conv["id"],
            user=user_id,
            text=text,
            subtype="file_share",
            files=[shared],
            upload=True,
            display_as_bot=False,
        )
        event = {
            "type": "message",
            "subtype": "file_share",
            "text": text,
            "files": [shared],
            "upload": True,
            "user": user_id,
            "display_as_bot": False,
            "ts": msg["ts"],
            "channel": conv["id"],
            "event_ts": msg["ts"],
            "channel_type": self._channel_type(conv),
        }
        return await self.send_event(event)

    @staticmethod
    def _channel_type(conv: Record) -> str:
        if conv["is_im"]:
            return "im"
        if conv["is_mpim"]:
            return "mpim"
        return "group" if conv["is_private"] else "channel"

    async def url_verification(self, challenge: str) -> AppResponse:
        """Slack's Request URL check; the app must echo the challenge."""
        body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return await self._send("url_verification", json.dumps(body).encode())

    # -- waiting ---------------------------------------------------------------------------
    async def wait_for(
        self,
        predicate: Callable[[], Any],
        timeout: float = 30.0,  # noqa: ASYNC109 - public API mirrors asyncio.wait_for(timeout=)
        interval: float = 0.02,
    ) -> Any:
        """Poll ``predicate`` (sync or async) until truthy and return its value.

        Raises TimeoutError describing the recent API calls and rejections, because a test
        waiting for the bot usually fails due to an error the bot swallowed.
        """
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if inspect.isawaitable(value):
                value = await value
            if value:
                return value
            if time.monotonic() >= deadline:
                raise TimeoutError(self._wait_report(predicate, timeout))
            await asyncio.sleep(interval)

    def _wait_report(self, predicate: Callable[[], Any], timeout: float) -> str:
        name = getattr(predicate, "__qualname__", repr(predicate))
        calls = [f"{c['method']} -> {'ok' if c['ok'] else c['error']}" for c in self.calls[-8:]]
        lines = [
            f"condition {name} not met within {timeout}s",
            f"last Web API calls: {calls or 'none'}",
            f"validation errors: {[(e['method'], e['error']) for e in self.validation_errors]}",
            f"app requests: {[(a['kind'], a['status']) for a in self.acks[-5:]]}",
        ]
        return "\n".join(lines)
