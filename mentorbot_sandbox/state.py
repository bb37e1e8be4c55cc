"""In-memory workspace state of the fake Slack and the helpers tests use to inspect it.

Everything a test may look at (messages, ephemerals, views, files) is a :class:`Record`: a plain
dict shaped like Slack's JSON that also allows attribute access (``msg.text``/``msg["text"]``).
"""

from __future__ import annotations

import copy
import itertools
import random
import string
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from .blockkit import iter_elements, json_copy

#: Keys the fake keeps on stored messages that Slack never sends back to the app.
FAKE_ONLY_KEYS = ("history", "channel")


class Record(dict):
    """A dict that also reads/writes keys as attributes, so tests can use either style."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError as exc:
            raise AttributeError(name) from exc

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value


class ApiError(Exception):
    """A Web API failure answered as HTTP 200 ``{"ok": false, "error": code}``."""

    def __init__(self, code: str, messages: list[str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.messages = messages or []


@dataclass
class Trigger:
    """A trigger_id handed to the app: one use, valid for ``trigger_ttl`` seconds."""

    user_id: str
    created: float
    used: bool = False


@dataclass
class ResponseUrl:
    """A response_url: where it posts (user/channel/source message) and how often it was used."""

    url: str
    user_id: str
    channel_id: str
    created: float
    message_ts: str | None = None
    ephemeral: bool = False
    uses: int = 0


def slack_message(msg: Record) -> dict:
    """The message as Slack would send it to the app (no fake bookkeeping keys)."""
    return {k: copy.deepcopy(v) for k, v in msg.items() if k not in FAKE_ONLY_KEYS}


class Workspace:
    """One team: users, conversations, messages, views, files and the ids Slack issues."""

    trigger_ttl = 3.0
    response_url_ttl = 30 * 60.0
    response_url_uses = 5

    def __init__(
        self,
        *,
        team_id: str,
        bot_user_id: str,
        bot_token: str,
        seed: int,
        app_id: str,
        bot_id: str,
    ) -> None:
        self.team_id = team_id
        self.team_domain = "sandbox"
        self.bot_user_id = bot_user_id
        self.bot_token = bot_token
        self.app_id = app_id
        self.bot_id = bot_id
        self.root_url: str | None = None
        self.users: dict[str, Record] = {}
        self.channels: dict[str, Record] = {}
        self.files: dict[str, Record] = {}
        self.validation_errors: list[Record] = []
        # Every surface the app sent, in order, as sent (posts, edits, ephemerals, modals,
        # home tabs): later edits and view updates replace what `messages()` and `view()` show.
        self.outbox: list[Record] = []
        self.warnings: list[Record] = []
        self._messages: dict[str, list[Record]] = {}
        self._ephemerals: dict[str, list[Record]] = {}
        self._views: dict[str, Record] = {}
        self._view_user: dict[str, str] = {}
        self._stacks: dict[str, list[str]] = {}
        self._homes: dict[str, str] = {}
        self._triggers: dict[str, Trigger] = {}
        self._response_urls: dict[str, ResponseUrl] = {}
        self._dms: dict[str, str] = {}
        self._mpims: dict[frozenset[str], str] = {}
        self._rng = random.Random(f"{seed}:ids")
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        self.add_user(bot_user_id, "mentorbot", real_name="Mentorbot", is_bot=True)

    # -- id generation -------------------------------------------------------------------
    def _next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08X}"

    def _next_ts(self) -> str:
        """A message ts: wall-clock based, strictly increasing, unique across the workspace."""
        self._last_ts = max(time.time(), self._last_ts + 0.000001)
        return f"{self._last_ts:.6f}"

    def _new_hash(self) -> str:
        return f"{int(time.time())}.{self._rng.getrandbits(32):08x}"

    def _short_id(self, taken: set[str]) -> str:
        alphabet = string.ascii_letters + string.digits
        while True:
            candidate = "".join(self._rng.choice(alphabet) for _ in range(5))
            if candidate not in taken:
                taken.add(candidate)
                return candidate

    def _fill_ids(self, blocks: list) -> list:
        """Copy ``blocks`` adding block_id/action_id where missing, as Slack does on storage."""
        blocks = json_copy(blocks)
        taken = {b["block_id"] for b in blocks if isinstance(b, dict) and "block_id" in b}
        for block in blocks:
            block.setdefault("block_id", self._short_id(taken))
        action_ids: set[str] = set()
        for _, el in iter_elements(blocks):
            if "action_id" not in el:
                el["action_id"] = self._short_id(action_ids)
        return blocks

    # -- setup ---------------------------------------------------------------------------
    def add_user(
        self,
        user_id: str,
        name: str,
        real_name: str | None = None,
        tz: str = "Europe/London",
        email: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
    ) -> Record:
        """Create (or replace) a workspace member; tz_offset is derived from ``tz`` for today."""
        now = datetime.now(ZoneInfo(tz))
        offset = now.utcoffset()
        profile = {
            "real_name": real_name or name,
            "real_name_normalized": real_name or name,
            "display_name": name,
            "display_name_normalized": name,
            "team": self.team_id,
        }
        if email is not None:
            profile["email"] = email
        user = Record(
            id=user_id,
            team_id=self.team_id,
            name=name,
            deleted=deleted,
            real_name=real_name or name,
            tz=tz,
            tz_label=now.tzname(),
            tz_offset=int(offset.total_seconds()) if offset is not None else 0,
            is_bot=is_bot,
            is_app_user=False,
            is_admin=False,
            is_owner=False,
            profile=profile,
            updated=int(time.time()),
        )
        self.users[user_id] = user
        return user

    def add_file(self, user_id: str, name: str, content: bytes) -> Record:
        """A file ``user_id`` uploaded from their computer (to a file_input or to share in a
        conversation). The app can read it only once it is shared where the bot is, or submitted
        in the app's own modal, as in Slack."""
        assert user_id in self.users, f"unknown user {user_id!r}: add_user() it first"
        file_id = self._next_id("F")
        self.files[file_id] = Record(
            id=file_id,
            name=name,
            title=name,
            length=len(content),
            alt_txt=None,
            content=bytes(content),
            completed=True,
            channels=[],
            user=user_id,
            created=int(time.time()),
            app_can_read=False,
        )
        return self.files[file_id]

    def add_channel(
        self,
        channel_id: str,
        name: str,
        members: list[str] | None = None,
        is_private: bool = False,
        *,
        bot_is_member: bool = True,
    ) -> Record:
        """Create a public/private channel; the bot joins it unless ``bot_is_member=False``."""
        members = list(members or [])
        if bot_is_member and self.bot_user_id not in members:
            members.append(self.bot_user_id)
        channel = Record(
            id=channel_id,
            name=name,
            is_channel=not is_private,
            is_group=is_private,
            is_im=False,
            is_mpim=False,
            is_private=is_private,
            is_archived=False,
            created=int(time.time()),
            members=members,
        )
        self.channels[channel_id] = channel
        self._messages.setdefault(channel_id, [])
        return channel

    # -- conversations -------------------------------------------------------------------
    def _open_dm(self, user_id: str) -> Record:
        channel_id = self._dms.get(user_id)
        if channel_id is None:
            channel_id = self._dms[user_id] = self._next_id("D")
            self.channels[channel_id] = Record(
                id=channel_id,
                is_im=True,
                is_channel=False,
                is_group=False,
                is_mpim=False,
                is_private=True,
                is_archived=False,
                user=user_id,
                created=int(time.time()),
                members=[user_id, self.bot_user_id],
            )
            self._messages[channel_id] = []
        return self.channels[channel_id]

    def _open_mpim(self, user_ids: list[str]) -> Record:
        key = frozenset(user_ids)
        channel_id = self._mpims.get(key)
        if channel_id is None:
            channel_id = self._mpims[key] = self._next_id("G")
            names = sorted(self.users[u]["name"] for u in key | {self.bot_user_id})
            self.channels[channel_id] = Record(
                id=channel_id,
                name="mpdm-" + "--".join(names) + "-1",
                is_im=False,
                is_channel=False,
                is_group=False,
                is_mpim=True,
                is_private=True,
                is_archived=False,
                created=int(time.time()),
                members=[*sorted(key), self.bot_user_id],
            )
            self._messages[channel_id] = []
        return self.channels[channel_id]

    def _resolve_channel(self, channel: str | None) -> Record:
        """Find a conversation by id or name; a user id means the bot's DM with that user."""
        if not channel or not isinstance(channel, str):
            raise ApiError("channel_not_found")
        if channel in self.channels:
            return self.channels[channel]
        for candidate in self.channels.values():
            if candidate.get("name") and candidate["name"] == channel.removeprefix("#"):
                return candidate
        user = self.users.get(channel)
        if user is None or user["is_bot"]:
            raise ApiError("channel_not_found")
        if user["deleted"]:
            raise ApiError("is_archived")
        return self._open_dm(channel)

    def _find_message(self, channel_id: str, ts: str | None) -> Record | None:
        for msg in self._messages.get(channel_id, []):
            if msg["ts"] == ts:
                return msg
        return None

    def _store_message(self, channel_id: str, *, user: str | None = None, **fields: Any) -> Record:
        """Append a message to a channel; ``user`` defaults to the bot."""
        user = user or self.bot_user_id
        msg = Record(type="message", ts=self._next_ts(), channel=channel_id, user=user, text="")
        if user == self.bot_user_id:
            msg.update(bot_id=self.bot_id, app_id=self.app_id)
        msg.update(team=self.team_id, blocks=[], history=[])
        msg.update({k: v for k, v in fields.items() if v is not None})
        if msg["blocks"]:
            msg["blocks"] = self._fill_ids(msg["blocks"])
        thread_ts = msg.get("thread_ts")
        parent = self._find_message(channel_id, thread_ts) if thread_ts else None
        if parent is not None:
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent.setdefault("thread_ts", parent["ts"])
        self._messages.setdefault(channel_id, []).append(msg)
        self.outbox.append(
            Record(kind="message", channel=channel_id, text=msg["text"], blocks=msg["blocks"])
        )
        return msg

    def _edit_message(self, msg: Record, *, text: str | None, blocks: list | None) -> None:
        """Apply an edit, keeping the previous version in ``history`` (like Slack's edited)."""
        msg["history"].append(
            {"text": msg["text"], "blocks": msg["blocks"], "edited": msg.get("edited")}
        )
        if text is not None:
            msg["text"] = text
        if blocks is not None:
            msg["blocks"] = self._fill_ids(blocks)
        msg["edited"] = {"user": self.bot_user_id, "ts": self._next_ts()}
        self.outbox.append(
            Record(kind="update", channel=msg["channel"], text=msg["text"], blocks=msg["blocks"])
        )

    def _delete_message(self, channel_id: str, ts: str) -> None:
        messages = self._messages.get(channel_id, [])
        messages[:] = [m for m in messages if m["ts"] != ts]

    def _add_ephemeral(
        self, user_id: str, channel_id: str, *, source: str, **fields: Any
    ) -> Record:
        eph = Record(
            type="message",
            subtype="bot_message",
            ts=self._next_ts(),
            channel=channel_id,
            user=user_id,
            bot_id=self.bot_id,
            text="",
            blocks=[],
            source=source,
            history=[],
        )
        eph.update({k: v for k, v in fields.items() if v is not None})
        if eph["blocks"]:
            eph["blocks"] = self._fill_ids(eph["blocks"])
        self._ephemerals.setdefault(user_id, []).append(eph)
        self.outbox.append(
            Record(kind="ephemeral", channel=channel_id, text=eph["text"], blocks=eph["blocks"])
        )
        return eph

    def _find_ephemeral(self, user_id: str, ts: str | None) -> Record | None:
        for eph in self._ephemerals.get(user_id, []):
            if eph["ts"] == ts:
                return eph
        return None

    # -- triggers and response urls ----------------------------------------------------------
    def _issue_trigger(self, user_id: str) -> str:
        trigger_id = (
            f"{10_000_000_000 + next(self._ids)}.{self._rng.randrange(10**8, 10**9)}"
            f".{self._rng.getrandbits(84):021x}"
        )
        self._triggers[trigger_id] = Trigger(user_id, time.monotonic())
        return trigger_id

    def _check_trigger(self, trigger_id: str | None) -> Trigger:
        """Return a usable trigger or raise Slack's invalid/exchanged/expired error."""
        trigger = self._triggers.get(trigger_id or "")
        if trigger is None:
            raise ApiError("invalid_trigger_id")
        if trigger.used:
            raise ApiError("exchanged_trigger_id")
        if time.monotonic() - trigger.created > self.trigger_ttl:
            raise ApiError("expired_trigger_id")
        return trigger

    def _issue_response_url(
        self, user_id: str, channel_id: str, message_ts: str | None = None, ephemeral: bool = False
    ) -> ResponseUrl:
        if self.root_url is None:
            raise RuntimeError("start() the fake before driving the app: response_url needs it")
        url_id = f"{self._next_id('R')}{self._rng.getrandbits(64):016x}"
        rurl = ResponseUrl(
            f"{self.root_url}/_response/{url_id}",
            user_id,
            channel_id,
            time.monotonic(),
            message_ts,
            ephemeral,
        )
        self._response_urls[url_id] = rurl
        return rurl

    # -- views ---------------------------------------------------------------------------
    def _materialize_view(
        self, view: dict, *, view_id: str, root_view_id: str | None, previous_view_id: str | None
    ) -> Record:
        """Build the stored view the way Slack returns it (ids, hash, empty state...)."""
        stored = Record(id=view_id, team_id=self.team_id, type=view["type"])
        for key in ("title", "submit", "close"):
            if view.get(key) is not None:
                stored[key] = copy.deepcopy(view[key])
        stored.update(
            blocks=self._fill_ids(view.get("blocks", [])),
            private_metadata=view.get("private_metadata", ""),
            callback_id=view.get("callback_id", ""),
            external_id=view.get("external_id", ""),
            state={"values": {}},
            hash=self._new_hash(),
            clear_on_close=bool(view.get("clear_on_close", False)),
            notify_on_close=bool(view.get("notify_on_close", False)),
            root_view_id=root_view_id or view_id,
            previous_view_id=previous_view_id,
            app_id=self.app_id,
            app_installed_team_id=self.team_id,
            bot_id=self.bot_id,
        )
        self.outbox.append(Record(kind=f"view:{view['type']}", view=copy.deepcopy(stored)))
        return stored

    def _external_id_taken(self, external_id: str, except_view: str | None) -> bool:
        if not external_id:
            return False
        return any(
            v["external_id"] == external_id and vid != except_view and self._view_is_live(vid)
            for vid, v in self._views.items()
        )

    def _view_is_live(self, view_id: str) -> bool:
        user = self._view_user.get(view_id)
        return view_id in self._stacks.get(user, []) or self._homes.get(user) == view_id

    def _open_modal(self, user_id: str, view: dict, *, push: bool) -> Record:
        stack = self._stacks.setdefault(user_id, [])
        if not push:
            stack.clear()
        view_id = self._next_id("V")
        previous = stack[-1] if stack else None
        root = stack[0] if stack else None
        stored = self._materialize_view(
            view, view_id=view_id, root_view_id=root, previous_view_id=previous
        )
        self._views[view_id] = stored
        self._view_user[view_id] = user_id
        stack.append(view_id)
        return stored

    def _replace_view(self, view_id: str, view: dict) -> Record:
        old = self._views[view_id]
        stored = self._materialize_view(
            view,
            view_id=view_id,
            root_view_id=old["root_view_id"],
            previous_view_id=old["previous_view_id"],
        )
        self._views[view_id] = stored
        return stored

    def _close_view(self, view_id: str) -> None:
        user = self._view_user[view_id]
        stack = self._stacks.get(user, [])
        if view_id in stack:
            stack.remove(view_id)

    # -- inspection (public) -------------------------------------------------------------
    def messages(self, channel_id: str) -> list[Record]:
        """Messages in a conversation, oldest first, thread replies included (thread_ts set)."""
        if channel_id not in self._messages:
            raise KeyError(
                f"unknown conversation {channel_id!r}; known: {sorted(self._messages)}"
                " (use dm_messages(user_id) for a DM)"
            )
        return list(self._messages[channel_id])

    def dm_channel(self, user_id: str) -> str | None:
        """Id of the bot's DM with ``user_id``, or None if nobody opened it yet."""
        return self._dms.get(user_id)

    def dm_messages(self, user_id: str) -> list[Record]:
        """Messages in the bot's DM with ``user_id`` (empty if the DM does not exist)."""
        channel_id = self._dms.get(user_id)
        return list(self._messages[channel_id]) if channel_id else []

    def mpim_for(self, *user_ids: str) -> str | None:
        """Id of the group DM between these users and the bot, or None."""
        return self._mpims.get(frozenset(u for u in user_ids if u != self.bot_user_id))

    def group_dms_of(self, user_id: str) -> list[tuple[str, list[Record]]]:
        """Every group DM (mpim) ``user_id`` is in, with its messages, oldest channel first."""
        return [
            (channel_id, list(self._messages.get(channel_id, [])))
            for members, channel_id in self._mpims.items()
            if user_id in members
        ]

    def ephemerals(self, user_id: str) -> list[Record]:
        """Ephemeral messages shown to ``user_id`` (chat.postEphemeral, response_url, ack)."""
        return list(self._ephemerals.get(user_id, []))

    def open_views(self, user_id: str) -> list[Record]:
        """The user's modal stack, bottom first (empty when no modal is open)."""
        return [self._views[v] for v in self._stacks.get(user_id, [])]

    def view(self, view_id: str) -> Record | None:
        """A view by id (modal or home tab), including closed modals."""
        return self._views.get(view_id)

    def home(self, user_id: str) -> Record | None:
        """The home tab last published for ``user_id``."""
        view_id = self._homes.get(user_id)
        return self._views[view_id] if view_id else None
