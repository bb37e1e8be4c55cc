"""Web API method implementations of the fake (the part slack_sdk's WebClient talks to).

Each ``_api_<group>_<name>`` method takes the parsed request arguments and returns the JSON
body of a successful response, or raises :class:`ApiError` with the code Slack documents for
that method (checked against docs.slack.dev's per-method metadata).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from typing import Any

from .blockkit import BlockKitError, check_message_blocks, check_view
from .state import ApiError, Record, Workspace, slack_message

MAX_MESSAGE_TEXT = 40_000
#: extension -> (filetype, mimetype, pretty_type), as Slack reports a few common files.
_FILE_KINDS = {
    "csv": ("csv", "text/csv", "CSV"),
    "txt": ("text", "text/plain", "Plain Text"),
    "png": ("png", "image/png", "PNG"),
    "pdf": ("pdf", "application/pdf", "PDF"),
    "ics": ("calendar", "text/calendar", "iCalendar"),
    "xlsx": (
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel Spreadsheet",
    ),
}
_EMOJI_NAME = re.compile(r"^[a-z0-9_+'\-]+$")


def as_bool(value: Any) -> bool:
    """Slack booleans arrive as JSON booleans or as "true"/"1" strings in form posts."""
    if isinstance(value, str):
        return value.lower() in ("1", "true", "yes")
    return bool(value)


def _str_list(value: Any) -> list[str]:
    """Slack list arguments arrive comma-joined from form posts or as JSON arrays."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return [v.strip() for v in str(value).split(",") if v.strip()]


def _json_arg(args: dict, name: str, error: str) -> Any:
    """Decode an argument that form posts carry as a JSON string."""
    value = args.get(name)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ApiError(error, [f"[ERROR] invalid JSON in {name}: {exc.msg}"]) from exc
    return value


def _missing(name: str) -> ApiError:
    return ApiError("invalid_arguments", [f"[ERROR] missing required field: {name}"])


def _page(items: list[str], args: dict, kind: str) -> tuple[list[str], str]:
    """Cursor pagination like Slack: opaque base64 cursors, empty next_cursor at the end."""
    try:
        limit = int(args.get("limit") or 0) or 100
    except ValueError as exc:
        raise ApiError("invalid_limit") from exc
    start = 0
    if args.get("cursor"):
        try:
            prefix, _, next_id = base64.b64decode(args["cursor"]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise ApiError("invalid_cursor") from exc
        if prefix != kind or next_id not in items:
            raise ApiError("invalid_cursor")
        start = items.index(next_id)
    page = items[start : start + limit]
    rest = items[start + limit :]
    cursor = base64.b64encode(f"{kind}:{rest[0]}".encode()).decode() if rest else ""
    return page, cursor


class WebApi(Workspace):
    """Method handlers operating on the workspace state."""

    def _record_rejection(self, method: str, error: str, messages: list[str]) -> None:
        self.validation_errors.append(Record(method=method, error=error, messages=messages))

    def _warn(self, method: str, message: str) -> None:
        self.warnings.append(Record(method=method, message=message))

    def _blocks_arg(self, method: str, args: dict) -> list | None:
        blocks = _json_arg(args, "blocks", "invalid_blocks_format")
        if blocks is None:
            return None
        try:
            check_message_blocks(blocks)
        except BlockKitError as exc:
            self._record_rejection(method, exc.code, exc.messages)
            raise ApiError(exc.code, exc.messages) from exc
        return blocks

    def _view_arg(self, method: str, args: dict) -> dict:
        view = _json_arg(args, "view", "invalid_arguments")
        if view is None:
            raise _missing("view")
        try:
            check_view(view)
        except BlockKitError as exc:
            self._record_rejection(method, exc.code, exc.messages)
            raise ApiError(exc.code, exc.messages) from exc
        return view

    def _message_content(self, method: str, args: dict) -> tuple[str | None, list | None]:
        """Validate text/blocks/attachments the way chat.* does and return (text, blocks)."""
        blocks = self._blocks_arg(method, args)
        text = args.get("text")
        attachments = _json_arg(args, "attachments", "invalid_attachments")
        if attachments is not None and (
            not isinstance(attachments, list) or len(attachments) > 100
        ):
            raise ApiError("too_many_attachments" if attachments else "invalid_attachments")
        if args.get("markdown_text") and (text or blocks):
            raise ApiError("markdown_text_conflict")
        text = text or args.get("markdown_text")
        if blocks and not text:
            self._warn(method, "blocks without top-level text: notifications will be empty")
        if text is not None and len(text) > MAX_MESSAGE_TEXT:
            if method != "chat.postMessage":
                raise ApiError("msg_too_long")
            self._warn(method, f"text truncated to {MAX_MESSAGE_TEXT} characters")
            text = text[:MAX_MESSAGE_TEXT]
        return text, blocks

    def _postable(self, channel_arg: str | None) -> Record:
        channel = self._resolve_channel(channel_arg)
        if channel["is_archived"]:
            raise ApiError("is_archived")
        if self.bot_user_id not in channel["members"]:
            # A private channel the bot was not invited to is invisible to it, as in Slack.
            raise ApiError("channel_not_found" if channel["is_private"] else "not_in_channel")
        if channel["is_im"] and self.users[channel["user"]]["deleted"]:
            raise ApiError("is_archived")
        return channel

    # -- auth ----------------------------------------------------------------------------
    def _api_auth_test(self, args: dict) -> dict:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": "Sandbox",
            "user": self.users[self.bot_user_id]["name"],
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    # -- chat ----------------------------------------------------------------------------
    def _api_chat_postMessage(self, args: dict) -> dict:
        channel = self._postable(args.get("channel"))
        text, blocks = self._message_content("chat.postMessage", args)
        if not text and not blocks and not args.get("attachments"):
            raise ApiError("no_text")
        metadata = _json_arg(args, "metadata", "invalid_metadata_format")
        if metadata is not None and (
            not isinstance(metadata, dict) or not isinstance(metadata.get("event_type"), str)
        ):
            raise ApiError("invalid_metadata_format")
        thread_ts = args.get("thread_ts") or None
        if thread_ts:
            parent = self._find_message(channel["id"], thread_ts)
            if parent is None:
                self._warn("chat.postMessage", f"thread_ts {thread_ts} matches no message")
            elif parent.get("thread_ts"):
                thread_ts = parent["thread_ts"]
        msg = self._store_message(
            channel["id"], text=text or "", blocks=blocks, thread_ts=thread_ts, metadata=metadata
        )
        return {"channel": channel["id"], "ts": msg["ts"], "message": slack_message(msg)}

    def _api_chat_postEphemeral(self, args: dict) -> dict:
        channel = self._postable(args.get("channel"))
        user = args.get("user")
        if not user:
            raise _missing("user")
        if user not in channel["members"]:
            raise ApiError("user_not_in_channel")
        text, blocks = self._message_content("chat.postEphemeral", args)
        if not text and not blocks and not args.get("attachments"):
            raise ApiError("no_text")
        eph = self._add_ephemeral(
            user,
            channel["id"],
            source="chat.postEphemeral",
            text=text or "",
            blocks=blocks,
            thread_ts=args.get("thread_ts") or None,
        )
        return {"message_ts": eph["ts"]}

    def _own_message(self, args: dict, not_mine: str) -> tuple[Record, Record]:
        channel = self._resolve_channel(args.get("channel"))
        msg = self._find_message(channel["id"], args.get("ts"))
        if msg is None:
            raise ApiError("message_not_found")
        if msg["user"] != self.bot_user_id:
            raise ApiError(not_mine)
        return channel, msg

    def _api_chat_update(self, args: dict) -> dict:
        channel, msg = self._own_message(args, "cant_update_message")
        text, blocks = self._message_content("chat.update", args)
        if text is None and blocks is None and not args.get("attachments"):
            raise ApiError("no_text")
        self._edit_message(msg, text=text, blocks=blocks)
        return {
            "channel": channel["id"],
            "ts": msg["ts"],
            "text": msg["text"],
            "message": slack_message(msg),
        }

    def _api_chat_delete(self, args: dict) -> dict:
        channel, msg = self._own_message(args, "cant_delete_message")
        self._delete_message(channel["id"], msg["ts"])
        return {"channel": channel["id"], "ts": msg["ts"]}

    # -- conversations -------------------------------------------------------------------
    def _api_conversations_open(self, args: dict) -> dict:
        if args.get("channel"):
            channel = self.channels.get(args["channel"])
            if channel is None or not (channel["is_im"] or channel["is_mpim"]):
                raise ApiError("channel_not_found")
        else:
            users = _str_list(args.get("users"))
            if not users:
                raise ApiError("users_list_not_supplied")
            users = list(dict.fromkeys(u for u in users if u != self.bot_user_id))
            if not users:
                raise ApiError("not_enough_users")
            if len(users) > 8:
                raise ApiError("too_many_users")
            for user_id in users:
                user = self.users.get(user_id)
                if user is None:
                    raise ApiError("user_not_found")
                if user["deleted"]:
                    raise ApiError("user_disabled")
            channel = self._open_dm(users[0]) if len(users) == 1 else self._open_mpim(users)
        if as_bool(args.get("return_im")):
            return {"channel": self._channel_info(channel, num_members=False)}
        return {"channel": {"id": channel["id"]}}

    def _channel_info(self, channel: Record, *, num_members: bool) -> dict:
        info = {k: v for k, v in channel.items() if k != "members"}
        info["is_member"] = self.bot_user_id in channel["members"]
        if num_members:
            info["num_members"] = len(channel["members"])
        return info

    def _api_conversations_info(self, args: dict) -> dict:
        channel = self.channels.get(args.get("channel") or "")
        if channel is None:
            raise ApiError("channel_not_found")
        return {
            "channel": self._channel_info(
                channel, num_members=as_bool(args.get("include_num_members"))
            )
        }

    def _api_conversations_members(self, args: dict) -> dict:
        channel = self.channels.get(args.get("channel") or "")
        if channel is None:
            raise ApiError("channel_not_found")
        page, cursor = _page(list(channel["members"]), args, "user")
        return {"members": page, "response_metadata": {"next_cursor": cursor}}

    def _api_conversations_history(self, args: dict) -> dict:
        """Newest first, top-level messages only; metadata only with include_all_metadata."""
        channel = self.channels.get(args.get("channel") or "")
        if channel is None:
            raise ApiError("channel_not_found")
        limit = min(int(args.get("limit") or 100), 999)
        with_metadata = as_bool(args.get("include_all_metadata"))
        found = []
        for msg in reversed(self._messages.get(channel["id"], [])):
            if msg.get("thread_ts") and msg["thread_ts"] != msg["ts"]:
                continue
            public = slack_message(msg)
            if not with_metadata:
                public.pop("metadata", None)
            found.append(public)
            if len(found) >= limit:
                break
        return {"messages": found, "has_more": False, "response_metadata": {"next_cursor": ""}}

    # -- users ---------------------------------------------------------------------------
    def _api_users_info(self, args: dict) -> dict:
        user = self.users.get(args.get("user") or "")
        if user is None:
            raise ApiError("user_not_found")
        return {"user": dict(user)}

    def _api_users_lookupByEmail(self, args: dict) -> dict:
        """Like Slack: exact address, case-insensitive; ``users_not_found`` otherwise."""
        email = (args.get("email") or "").strip().lower()
        if not email:
            raise _missing("email")
        for user in self.users.values():
            if (user.get("profile") or {}).get("email", "").lower() == email:
                return {"user": dict(user)}
        raise ApiError("users_not_found")

    def _api_users_list(self, args: dict) -> dict:
        page, cursor = _page(list(self.users), args, "user")
        return {
            "members": [dict(self.users[u]) for u in page],
            "cache_ts": int(time.time()),
            "response_metadata": {"next_cursor": cursor},
        }

    # -- views ---------------------------------------------------------------------------
    def _trigger_arg(self, args: dict) -> str:
        trigger_id = args.get("trigger_id") or args.get("interactivity_pointer")
        if not trigger_id:
            raise _missing("trigger_id")
        return trigger_id

    def _check_external_id(self, view: dict, except_view: str | None = None) -> None:
        if self._external_id_taken(view.get("external_id", ""), except_view):
            raise ApiError("duplicate_external_id")

    def _api_views_open(self, args: dict) -> dict:
        trigger = self._check_trigger(self._trigger_arg(args))
        view = self._view_arg("views.open", args)
        if view["type"] != "modal":
            raise ApiError("invalid_arguments", ["[ERROR] views.open only opens modals"])
        self._check_external_id(view)
        trigger.used = True
        return {"view": self._open_modal(trigger.user_id, view, push=False)}

    def _api_views_push(self, args: dict) -> dict:
        trigger = self._check_trigger(self._trigger_arg(args))
        view = self._view_arg("views.push", args)
        stack = self._stacks.get(trigger.user_id, [])
        if not stack:
            raise ApiError("not_found")
        if len(stack) >= 3:
            raise ApiError("push_limit_reached")
        self._check_external_id(view)
        trigger.used = True
        return {"view": self._open_modal(trigger.user_id, view, push=True)}

    def _api_views_update(self, args: dict) -> dict:
        view_id = args.get("view_id")
        if not view_id and args.get("external_id"):
            view_id = next(
                (
                    vid
                    for vid, v in self._views.items()
                    if v["external_id"] == args["external_id"] and self._view_is_live(vid)
                ),
                None,
            )
        elif not view_id:
            raise ApiError("invalid_arguments", ["[ERROR] view_id or external_id is required"])
        if view_id not in self._views or not self._view_is_live(view_id):
            raise ApiError("not_found")
        if args.get("hash") and args["hash"] != self._views[view_id]["hash"]:
            raise ApiError("hash_conflict")
        view = self._view_arg("views.update", args)
        self._check_external_id(view, except_view=view_id)
        return {"view": self._replace_view(view_id, view)}

    def _api_views_publish(self, args: dict) -> dict:
        user_id = args.get("user_id")
        if not user_id:
            raise _missing("user_id")
        if user_id not in self.users:
            raise ApiError("user_not_found")
        home_id = self._homes.get(user_id)
        if home_id and args.get("hash") and args["hash"] != self._views[home_id]["hash"]:
            raise ApiError("hash_conflict")
        view = self._view_arg("views.publish", args)
        if view["type"] != "home":
            raise ApiError("invalid_arguments", ["[ERROR] views.publish needs type home"])
        self._check_external_id(view, except_view=home_id)
        if home_id is None:
            home_id = self._next_id("V")
            self._homes[user_id] = home_id
            self._view_user[home_id] = user_id
        stored = self._materialize_view(
            view, view_id=home_id, root_view_id=None, previous_view_id=None
        )
        self._views[home_id] = stored
        return {"view": stored}

    # -- files ---------------------------------------------------------------------------
    def _api_files_getUploadURLExternal(self, args: dict) -> dict:
        filename = args.get("filename")
        if not filename:
            raise _missing("filename")
        try:
            length = int(args.get("length") or 0)
        except ValueError as exc:
            raise ApiError("invalid_arguments", ["[ERROR] length must be an integer"]) from exc
        if length <= 0:
            raise ApiError("missing_argument")
        if len(args.get("alt_txt") or "") > 1000:
            raise ApiError("alt_txt_too_large")
        if args.get("snippet_type") and length > 1_000_000:
            raise ApiError("snippet_too_large")
        file_id = self._next_id("F")
        self.files[file_id] = Record(
            id=file_id,
            name=filename,
            title=filename,
            length=length,
            alt_txt=args.get("alt_txt"),
            content=None,
            completed=False,
            channels=[],
            user=self.bot_user_id,
            created=int(time.time()),
            app_can_read=True,
        )
        return {"upload_url": f"{self.root_url}/_upload/{file_id}", "file_id": file_id}

    def _public_file(self, file: Record) -> dict:
        """A file object as Slack's events, view states and files.info carry it."""
        name = file["name"]
        kind = _FILE_KINDS.get(name.rpartition(".")[2].lower() if "." in name else "")
        filetype, mimetype, pretty = kind or ("binary", "application/octet-stream", "Binary")
        url = f"{self.root_url}/_files/{file['id']}/{name}"
        ims = [c for c in file["channels"] if self.channels.get(c, {}).get("is_im")]
        return {
            "id": file["id"],
            "created": file["created"],
            "timestamp": file["created"],
            "name": name,
            "title": file["title"],
            "mimetype": mimetype,
            "filetype": filetype,
            "pretty_type": pretty,
            "user": file["user"],
            "user_team": self.team_id,
            "editable": False,
            "size": len(file["content"] or b""),
            "mode": "hosted",
            "is_external": False,
            "external_type": "",
            "is_public": False,
            "public_url_shared": False,
            "display_as_bot": False,
            "username": "",
            "url_private": url,
            "url_private_download": f"{self.root_url}/_files/{file['id']}/download/{name}",
            "permalink": f"https://{self.team_domain}.slack.com/files/{file['user']}/{file['id']}",
            "channels": [c for c in file["channels"] if c not in ims],
            "groups": [],
            "ims": ims,
            "comments_count": 0,
        }

    def _api_files_info(self, args: dict) -> dict:
        """Only files the app can see: its own, those shared where the bot is, and those
        submitted in its modals (``file_not_found`` otherwise, as for an unknown id)."""
        if not args.get("file"):
            raise _missing("file")
        file = self.files.get(args["file"])
        if file is None or not file["completed"] or not file.get("app_can_read", True):
            raise ApiError("file_not_found")
        return {
            "file": self._public_file(file),
            "comments": [],
            "response_metadata": {"next_cursor": ""},
        }

    def _api_files_completeUploadExternal(self, args: dict) -> dict:
        items = _json_arg(args, "files", "invalid_arguments")
        if not isinstance(items, list) or not items:
            raise _missing("files")
        files = []
        for item in items:
            file = self.files.get(item.get("id", "")) if isinstance(item, dict) else None
            if file is None or file["content"] is None:
                raise ApiError("file_not_found")
            files.append((file, item.get("title")))
        channel_ids = _str_list(args.get("channel_id")) + _str_list(args.get("channels"))
        channels = [self._postable(c) for c in dict.fromkeys(channel_ids)]
        blocks = self._blocks_arg("files.completeUploadExternal", args)
        for file, title in files:
            file["completed"] = True
            file["title"] = title or file["title"]
            file["channels"].extend(c["id"] for c in channels)
        for channel in channels:
            self._store_message(
                channel["id"],
                text=args.get("initial_comment") or "",
                blocks=blocks,
                thread_ts=args.get("thread_ts") or None,
                files=[self._public_file(f) for f, _ in files],
                upload=True,
            )
        return {"files": [self._public_file(f) for f, _ in files]}

    # -- reactions -----------------------------------------------------------------------
    def _api_reactions_add(self, args: dict) -> dict:
        name = (args.get("name") or "").strip(":")
        if not args.get("channel") or not args.get("timestamp"):
            raise ApiError("no_item_specified")
        channel = self._resolve_channel(args["channel"])
        msg = self._find_message(channel["id"], args["timestamp"])
        if msg is None:
            raise ApiError("message_not_found")
        if not _EMOJI_NAME.match(name):
            raise ApiError("invalid_name")
        reactions = msg.setdefault("reactions", [])
        for reaction in reactions:
            if reaction["name"] == name:
                if self.bot_user_id in reaction["users"]:
                    raise ApiError("already_reacted")
                reaction["users"].append(self.bot_user_id)
                reaction["count"] += 1
                break
        else:
            reactions.append({"name": name, "users": [self.bot_user_id], "count": 1})
        return {}
