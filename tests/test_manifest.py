"""The Slack app manifest declares what the bot uses, and no more."""

import json
import re
from pathlib import Path

import pytest
import yaml

from bot import ids
from bot.app import all_routes
from bot.texts import raw

MANIFEST = yaml.safe_load((Path(__file__).parents[1] / "manifest.yml").read_text())


def test_manifest_declares_the_command_events_and_interactivity():
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [ids.COMMAND]
    assert "app_home_opened" in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


ROOT = Path(__file__).parents[1]
#: Slack's method reference, in the shared folder laid beside the checkout (or the workplace's).
METHOD_DOCS = next(
    (
        shared / "slack-api-specs/docs.slack.dev/methods"
        for shared in (ROOT.parent / "shared", Path("/work/shared"))
        if (shared / "slack-api-specs").is_dir()
    ),
    Path("slack-api-specs-not-found"),
)
#: slack_sdk helpers that call more than one Web API method.
SDK_HELPERS = {"files_upload_v2": ["files.getUploadURLExternal", "files.completeUploadExternal"]}
#: Methods whose scope depends on the kind of conversation: the bot's only conversations of its
#: own are the pairs' group DMs (mpim); it posts to people by user id, which needs chat:write only.
CONVERSATION_SCOPE_PREFIX = "mpim:"
#: Called with the app-level token (SLACK_APP_TOKEN, scope connections:write), not the bot's.
APP_TOKEN_METHODS = {"apps.connections.open"}


def web_api_methods_called() -> set[str]:
    """Every Web API method the bot's code calls through its client (`client.chat_postMessage(`)."""
    called = set()
    for path in (ROOT / "bot").rglob("*.py"):
        for name in re.findall(r"client\.([A-Za-z]+_[A-Za-z0-9_]+)\(", path.read_text()):
            called.update(SDK_HELPERS.get(name, [name.replace("_", ".")]))
    return called


def scope_needed(method: str) -> str | None:
    """The bot scope `method` needs, from Slack's method reference; None if it needs none."""
    if method in APP_TOKEN_METHODS:
        return None
    doc = json.loads((METHOD_DOCS / f"{method}.json").read_text())
    scopes = doc.get("scope", {}).get("bot", [])
    if not scopes:
        assert doc.get("no_scope_required") or method == "auth.test", method
        return None
    if len(scopes) == 1:
        return scopes[0]
    (ours,) = [s for s in scopes if s.startswith(CONVERSATION_SCOPE_PREFIX)]
    return ours


def test_the_code_calls_the_methods_this_test_knows_of():
    """A guard on the scan below: if it found nothing it would prove nothing."""
    assert {"chat.postMessage", "conversations.open", "views.open"} <= web_api_methods_called()


def events_listened_to() -> set[str]:
    """Every event type the bot's listeners answer (`routes.event("message", ...)`)."""
    return set(all_routes().events)


def event_scopes(event: str) -> list[str]:
    """The scopes Slack requires to receive `event`, from its event reference."""
    events = json.loads((METHOD_DOCS.parent / "events/events.json").read_text())
    (found,) = [e for e in events if e["name"] == event]
    return found.get("scopes", [])


def test_every_subscribed_event_has_a_listener_and_back():
    subscribed = MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert {e.split(".")[0] for e in subscribed} == events_listened_to()
    assert "message.im" in subscribed  # HR admins share the people file in the bot's DM
    assert MANIFEST["features"]["app_home"]["messages_tab_read_only_enabled"] is False


@pytest.mark.skipif(not METHOD_DOCS.is_dir(), reason="Slack's method reference is not here")
def test_manifest_scopes_are_exactly_what_the_code_calls():
    needed = {scope_needed(method) for method in web_api_methods_called()} - {None}
    needed.add("commands")  # the /mentoring slash command
    for event in MANIFEST["settings"]["event_subscriptions"]["bot_events"]:
        needed.update(event_scopes(event))  # message.im: im:history
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed
    assert len(MANIFEST["display_information"]["long_description"]) >= 174


def test_usage_hint_names_every_subcommand_help_lists():
    (command,) = MANIFEST["features"]["slash_commands"]
    hint = command["usage_hint"]
    for listed, _ in [*raw("help.commands"), *raw("help.admin_commands")]:
        words = listed.split(" <")[0]  # "admin topics <topic>, <topic>" -> "admin topics"
        assert words in hint, listed
    assert len(hint) <= 1000  # Slack's limit for a manifest usage_hint
