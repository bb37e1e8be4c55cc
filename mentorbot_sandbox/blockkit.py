"""Block Kit validation as strict as Slack's server.

``slack_sdk.models`` validates only part of Block Kit (and nothing at all for raw dicts sent by
a client), so every ``blocks``/``view`` the fake receives goes through two passes: the SDK's own
validators (``Block.parse(...).to_dict()``, ``View(**view).to_dict()``) and a structural walk that
adds what the SDK misses (see slack-platform.md §3): block counts, section field length, text
object bounds, plain_text_input ranges, input-needs-submit, unique ids and size ceilings.

Problems are reported like Slack does: ``"[ERROR] <msg> [json-pointer:/blocks/0/text]"``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View


def json_copy(value: Any) -> Any:
    """A deep copy of JSON data (what views and blocks are), several times cheaper than deepcopy."""
    try:
        return json.loads(json.dumps(value))
    except (TypeError, ValueError):
        return copy.deepcopy(value)


MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_VIEW_BYTES = 250 * 1024
#: Practical ceiling on the total text of a message's blocks; Slack's exact rule is
#: undocumented (``msg_blocks_too_long`` was observed around 13.2k characters).
MAX_MESSAGE_BLOCK_TEXT = 12_000
MAX_TEXT = 3000

TEXT_TYPES = {"plain_text", "mrkdwn"}
SELECTS_WITH_OPTIONS = {"static_select", "multi_static_select"}
OPTION_ELEMENTS = SELECTS_WITH_OPTIONS | {"overflow", "checkboxes", "radio_buttons"}
_SHARED_ELEMENTS = {
    "checkboxes", "datepicker", "datetimepicker", "radio_buttons", "timepicker",
    "static_select", "external_select", "users_select", "conversations_select", "channels_select",
    "multi_static_select", "multi_external_select", "multi_users_select",
    "multi_conversations_select", "multi_channels_select",
}  # fmt: skip
ACTION_ELEMENTS = _SHARED_ELEMENTS | {"button", "overflow", "workflow_button", "rich_text_input"}
ACCESSORY_ELEMENTS = _SHARED_ELEMENTS | {"button", "overflow", "image", "workflow_button"}
INPUT_ELEMENTS = _SHARED_ELEMENTS | {
    "plain_text_input", "email_text_input", "url_text_input", "number_input", "file_input",
    "rich_text_input",
}  # fmt: skip
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class BlockKitError(Exception):
    """A rejection with Slack's error code and ``response_metadata.messages`` lines."""

    def __init__(self, code: str, messages: list[str] | None = None) -> None:
        super().__init__(code, messages)
        self.code = code
        self.messages = messages or []


def _fmt(msg: str, pointer: str) -> str:
    return f"[ERROR] {msg} [json-pointer:{pointer}]"


class _Checker:
    """Walks blocks and collects problems; one instance per message or view."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.block_ids: set[str] = set()

    def fail(self, msg: str, pointer: str) -> None:
        self.problems.append(_fmt(msg, pointer))

    # -- composition objects -------------------------------------------------------------
    def text(self, obj: Any, ptr: str, *, max_len: int = MAX_TEXT, plain: bool = False) -> None:
        if not isinstance(obj, dict):
            self.fail("must be a text object", ptr)
            return
        kind = obj.get("type")
        if kind not in TEXT_TYPES:
            self.fail(f"must be one of {sorted(TEXT_TYPES)}", f"{ptr}/type")
        elif plain and kind != "plain_text":
            self.fail("must be plain_text", f"{ptr}/type")
        value = obj.get("text")
        if not isinstance(value, str) or not value:
            self.fail("must be more than 0 characters", f"{ptr}/text")
        elif len(value) > max_len:
            self.fail(f"must be less than {max_len + 1} characters", f"{ptr}/text")

    def option(self, opt: Any, ptr: str, *, plain: bool) -> None:
        if not isinstance(opt, dict):
            self.fail("must be an option object", ptr)
            return
        self.text(opt.get("text"), f"{ptr}/text", max_len=75, plain=plain)
        value = opt.get("value")
        if not isinstance(value, str) or not value or len(value) > 150:
            self.fail("value must be 1..150 characters", f"{ptr}/value")
        if "description" in opt:
            self.text(opt["description"], f"{ptr}/description", max_len=75, plain=plain)

    def options(self, el: dict, ptr: str, lo: int, hi: int) -> None:
        plain = el["type"] not in ("checkboxes", "radio_buttons")
        opts, groups = el.get("options"), el.get("option_groups")
        if el["type"] in SELECTS_WITH_OPTIONS and groups is not None:
            if opts is not None:
                self.fail("must provide either options or option_groups, not both", ptr)
            if not isinstance(groups, list) or not 1 <= len(groups) <= 100:
                self.fail("must provide 1..100 option_groups", f"{ptr}/option_groups")
                return
            for g, group in enumerate(groups):
                gptr = f"{ptr}/option_groups/{g}"
                self.text(group.get("label"), f"{gptr}/label", max_len=75, plain=True)
                self._option_list(group.get("options"), f"{gptr}/options", 1, 100, plain)
            return
        self._option_list(opts, f"{ptr}/options", lo, hi, plain)

    def _option_list(self, opts: Any, ptr: str, lo: int, hi: int, plain: bool) -> None:
        if not isinstance(opts, list) or not lo <= len(opts) <= hi:
            self.fail(f"must provide {lo}..{hi} options", ptr)
            return
        for i, opt in enumerate(opts):
            self.option(opt, f"{ptr}/{i}", plain=plain)

    # -- elements ------------------------------------------------------------------------
    def element(self, el: Any, ptr: str, allowed: set[str]) -> None:
        if not isinstance(el, dict) or el.get("type") not in allowed:
            kind = el.get("type") if isinstance(el, dict) else None
            self.fail(f"unsupported element type {kind!r} here", f"{ptr}/type")
            return
        kind = el["type"]
        action_id = el.get("action_id")
        if action_id is not None and (not isinstance(action_id, str) or len(action_id) > 255):
            self.fail("action_id must be a string of at most 255 characters", f"{ptr}/action_id")
        if "placeholder" in el:
            self.text(el["placeholder"], f"{ptr}/placeholder", max_len=150, plain=True)
        if "confirm" in el:
            self.confirm(el["confirm"], f"{ptr}/confirm")
        if kind == "button":
            self.text(el.get("text"), f"{ptr}/text", max_len=75, plain=True)
            if len(str(el.get("value", ""))) > 2000:
                self.fail("must be less than 2001 characters", f"{ptr}/value")
            if len(str(el.get("url", ""))) > 3000:
                self.fail("must be less than 3001 characters", f"{ptr}/url")
            if el.get("style") not in (None, "primary", "danger"):
                self.fail("style must be primary or danger", f"{ptr}/style")
        elif kind == "overflow":
            self.options(el, ptr, 1, 5)
        elif kind in ("checkboxes", "radio_buttons"):
            self.options(el, ptr, 1, 10)
        elif kind in SELECTS_WITH_OPTIONS:
            self.options(el, ptr, 1, 100)
        elif kind == "plain_text_input":
            self.text_input_range(el, ptr)
        elif kind == "number_input" and not isinstance(el.get("is_decimal_allowed"), bool):
            self.fail("is_decimal_allowed is required", f"{ptr}/is_decimal_allowed")
        elif kind == "datepicker" and "initial_date" in el:
            if not _DATE.match(str(el["initial_date"])):
                self.fail("initial_date must be YYYY-MM-DD", f"{ptr}/initial_date")
        elif kind == "timepicker" and "initial_time" in el:
            if not _TIME.match(str(el["initial_time"])):
                self.fail("initial_time must be HH:mm", f"{ptr}/initial_time")
        elif kind == "image":
            self.image(el, ptr)
        elif kind == "file_input":
            self.file_input(el, ptr)
        if kind in OPTION_ELEMENTS:
            self.initial_options(el, ptr)

    def initial_options(self, el: dict, ptr: str) -> None:
        values = {o.get("value") for o in all_options(el) if isinstance(o, dict)}
        chosen = list(el.get("initial_options") or [])
        if el.get("initial_option") is not None:
            chosen.append(el["initial_option"])
        for opt in chosen:
            if not isinstance(opt, dict) or opt.get("value") not in values:
                self.fail("initial option must match one of the options", f"{ptr}/initial_option")

    def file_input(self, el: dict, ptr: str) -> None:
        """max_files 1..10 (default 10); filetypes a list of extensions."""
        count = el.get("max_files")
        if count is not None and (not isinstance(count, int) or not 1 <= count <= 10):
            self.fail("max_files must be between 1 and 10", f"{ptr}/max_files")
        kinds = el.get("filetypes")
        if kinds is not None and (
            not isinstance(kinds, list) or not all(isinstance(k, str) and k for k in kinds)
        ):
            self.fail("filetypes must be a list of file extensions", f"{ptr}/filetypes")

    def text_input_range(self, el: dict, ptr: str) -> None:
        lo, hi = el.get("min_length"), el.get("max_length")
        if lo is not None and (not isinstance(lo, int) or not 0 <= lo <= 3000):
            self.fail("min_length must be between 0 and 3000", f"{ptr}/min_length")
        if hi is not None and (not isinstance(hi, int) or not 1 <= hi <= 3000):
            self.fail("max_length must be between 1 and 3000", f"{ptr}/max_length")
        if isinstance(lo, int) and isinstance(hi, int) and lo > hi:
            self.fail("min_length must not exceed max_length", f"{ptr}/min_length")

    def confirm(self, obj: Any, ptr: str) -> None:
        if not isinstance(obj, dict):
            self.fail("must be a confirmation object", ptr)
            return
        self.text(obj.get("title"), f"{ptr}/title", max_len=100, plain=True)
        self.text(obj.get("text"), f"{ptr}/text", max_len=300)
        self.text(obj.get("confirm"), f"{ptr}/confirm", max_len=30, plain=True)
        self.text(obj.get("deny"), f"{ptr}/deny", max_len=30, plain=True)

    def image(self, obj: dict, ptr: str) -> None:
        if not obj.get("image_url") and not obj.get("slack_file"):
            self.fail("image_url or slack_file is required", ptr)
        elif len(str(obj.get("image_url", ""))) > 3000:
            self.fail("must be less than 3001 characters", f"{ptr}/image_url")
        alt = obj.get("alt_text")
        if not isinstance(alt, str) or not alt or len(alt) > 2000:
            self.fail("alt_text must be 1..2000 characters", f"{ptr}/alt_text")

    # -- blocks --------------------------------------------------------------------------
    def block(self, block: Any, ptr: str) -> None:
        if not isinstance(block, dict):
            self.fail("must be an object", ptr)
            return
        kind = block.get("type")
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id or len(block_id) > 255:
                self.fail("block_id must be 1..255 characters", f"{ptr}/block_id")
            elif block_id in self.block_ids:
                self.fail(f"duplicate block_id {block_id!r}", f"{ptr}/block_id")
            self.block_ids.add(str(block_id))
        checker = getattr(self, f"block_{kind}", None) if isinstance(kind, str) else None
        if checker is not None:
            checker(block, ptr)
        self.sdk(block, ptr)

    def sdk(self, block: dict, ptr: str) -> None:
        """Run slack_sdk's own validators; they cover limits we do not re-implement."""
        try:
            parsed = Block.parse(json_copy(block))
            if parsed is None:
                self.fail(f"unsupported block type {block.get('type')!r}", f"{ptr}/type")
            else:
                parsed.to_dict()
        except SlackObjectFormationError as exc:
            self.fail(str(exc), ptr)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            self.fail(f"invalid block: {exc}", ptr)

    def block_section(self, block: dict, ptr: str) -> None:
        if "text" not in block and "fields" not in block:
            self.fail("must provide text or fields", ptr)
        if "text" in block:
            self.text(block["text"], f"{ptr}/text")
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not 1 <= len(fields) <= 10:
                self.fail("must provide 1..10 fields", f"{ptr}/fields")
            else:
                for i, item in enumerate(fields):
                    self.text(item, f"{ptr}/fields/{i}", max_len=2000)
        if "accessory" in block:
            self.element(block["accessory"], f"{ptr}/accessory", ACCESSORY_ELEMENTS)

    def block_header(self, block: dict, ptr: str) -> None:
        self.text(block.get("text"), f"{ptr}/text", max_len=150, plain=True)

    def block_context(self, block: dict, ptr: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 10:
            self.fail("must provide 1..10 elements", f"{ptr}/elements")
            return
        for i, el in enumerate(elements):
            if isinstance(el, dict) and el.get("type") == "image":
                self.image(el, f"{ptr}/elements/{i}")
            else:
                self.text(el, f"{ptr}/elements/{i}")

    def block_actions(self, block: dict, ptr: str) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= 25:
            self.fail("must provide 1..25 elements", f"{ptr}/elements")
            return
        seen: set[str] = set()
        for i, el in enumerate(elements):
            self.element(el, f"{ptr}/elements/{i}", ACTION_ELEMENTS)
            action_id = el.get("action_id") if isinstance(el, dict) else None
            if action_id is None:
                continue
            if action_id in seen:
                self.fail(f"duplicate action_id {action_id!r}", f"{ptr}/elements/{i}/action_id")
            seen.add(action_id)

    def block_input(self, block: dict, ptr: str) -> None:
        self.text(block.get("label"), f"{ptr}/label", max_len=2000, plain=True)
        if "hint" in block:
            self.text(block["hint"], f"{ptr}/hint", max_len=2000, plain=True)
        if "element" not in block:
            self.fail("must provide an element", f"{ptr}/element")
        else:
            self.element(block["element"], f"{ptr}/element", INPUT_ELEMENTS)

    def block_image(self, block: dict, ptr: str) -> None:
        self.image(block, ptr)
        if "title" in block:
            self.text(block["title"], f"{ptr}/title", max_len=2000, plain=True)

    def block_markdown(self, block: dict, ptr: str) -> None:
        text = block.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= 12_000:
            self.fail("text must be 1..12000 characters", f"{ptr}/text")

    def blocks(self, blocks: list, ptr: str) -> None:
        for i, block in enumerate(blocks):
            self.block(block, f"{ptr}/{i}")


def all_options(element: dict) -> list[dict]:
    """Options of an element, flattening option_groups (used to resolve selections)."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    return options


def _strings_under(obj: Any, key: str) -> Iterator[str]:
    if isinstance(obj, dict):
        for k, v in obj.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from _strings_under(v, key)
    elif isinstance(obj, list):
        for item in obj:
            yield from _strings_under(item, key)


def block_text_length(blocks: list) -> int:
    """Total characters of every ``text`` string inside ``blocks`` (for msg_blocks_too_long)."""
    return sum(len(s) for s in _strings_under(blocks, "text"))


def check_message_blocks(blocks: Any, pointer: str = "/blocks") -> None:
    """Raise BlockKitError unless ``blocks`` would be accepted on a message by Slack."""
    if not isinstance(blocks, list):
        raise BlockKitError("invalid_blocks_format", [_fmt("must be an array", pointer)])
    checker = _Checker()
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        checker.fail(f"must contain at most {MAX_MESSAGE_BLOCKS} blocks", pointer)
    checker.blocks(blocks, pointer)
    if checker.problems:
        raise BlockKitError("invalid_blocks", checker.problems)
    if block_text_length(blocks) > MAX_MESSAGE_BLOCK_TEXT:
        raise BlockKitError("msg_blocks_too_long")


_VIEW_SDK_KEYS = (
    "type", "title", "submit", "close", "private_metadata", "callback_id", "external_id",
    "clear_on_close", "notify_on_close",
)  # fmt: skip


_VIEW_VERDICTS: dict[tuple[str, str], BlockKitError | None] = {}
_VIEW_VERDICTS_MAX = 512


def check_view(view: Any, pointer: str = "/view") -> None:
    """Raise BlockKitError unless ``view`` (modal or home) would be accepted by views.*.

    The verdict depends only on the view, so it is remembered: a load test opens the same modal
    hundreds of times, and slack_sdk's validation of it costs milliseconds of CPU each time.
    """
    if not isinstance(view, dict):
        raise BlockKitError("invalid_arguments", [_fmt("must be a view object", pointer)])
    try:
        key = (json.dumps(view, sort_keys=True), pointer)
    except (TypeError, ValueError):  # not JSON: validate without remembering
        _check_view(view, pointer)
        return
    if key not in _VIEW_VERDICTS:
        try:
            _check_view(view, pointer)
            verdict = None
        except BlockKitError as exc:
            verdict = exc
        if len(_VIEW_VERDICTS) >= _VIEW_VERDICTS_MAX:
            _VIEW_VERDICTS.clear()
        _VIEW_VERDICTS[key] = verdict
    verdict = _VIEW_VERDICTS[key]
    if verdict is not None:
        raise BlockKitError(verdict.code, list(verdict.messages))


def _check_view(view: dict, pointer: str) -> None:
    if len(json.dumps(view)) > MAX_VIEW_BYTES:
        raise BlockKitError("view_too_large")
    checker = _Checker()
    kind = view.get("type")
    blocks = view.get("blocks")
    if kind not in ("modal", "home"):
        checker.fail("type must be modal or home", f"{pointer}/type")
    if not isinstance(blocks, list):
        checker.fail("must be an array", f"{pointer}/blocks")
        blocks = []
    elif len(blocks) > MAX_VIEW_BLOCKS:
        checker.fail(f"must contain at most {MAX_VIEW_BLOCKS} blocks", f"{pointer}/blocks")
    if kind == "modal":
        checker.text(view.get("title"), f"{pointer}/title", max_len=24, plain=True)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text(view[key], f"{pointer}/{key}", max_len=24, plain=True)
        if view.get("submit") is None:
            for i, block in enumerate(blocks):
                if isinstance(block, dict) and block.get("type") == "input":
                    checker.fail(
                        "must define submit to use input block", f"{pointer}/blocks/{i}/input"
                    )
                    break
    checker.blocks(blocks, f"{pointer}/blocks")
    if not checker.problems:
        sdk_args = {k: json_copy(view[k]) for k in _VIEW_SDK_KEYS if k in view}
        try:
            View(blocks=json_copy(blocks), **sdk_args).to_dict()
        except SlackObjectFormationError as exc:
            checker.fail(str(exc), pointer)
        except (TypeError, ValueError, AttributeError, KeyError) as exc:
            checker.fail(f"invalid view: {exc}", pointer)
    if checker.problems:
        raise BlockKitError("invalid_arguments", checker.problems)


def iter_elements(blocks: list) -> Iterator[tuple[dict, dict]]:
    """Yield (block, element) for every interactive element a user could touch."""
    for block in blocks or []:
        kind = block.get("type")
        if kind == "actions":
            for el in block.get("elements") or []:
                yield block, el
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            if block["accessory"].get("type") != "image":
                yield block, block["accessory"]
        elif kind == "input" and isinstance(block.get("element"), dict):
            yield block, block["element"]
