"""The Slack app manifest declares what the bot uses, and no more."""

from pathlib import Path

import yaml

from bot import ids

MANIFEST = yaml.safe_load((Path(__file__).parents[1] / "manifest.yml").read_text())


def test_manifest_declares_the_command_events_and_interactivity():
    commands = [c["command"] for c in MANIFEST["features"]["slash_commands"]]
    assert commands == [ids.COMMAND]
    assert "app_home_opened" in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_manifest_scopes_are_the_ones_the_bot_calls_need():
    scopes = set(MANIFEST["oauth_config"]["scopes"]["bot"])
    assert scopes == {
        "commands",
        "chat:write",
        "im:write",
        "mpim:write",
        "mpim:history",
        "users:read",
        "users:read.email",
        "files:write",
    }
    assert len(MANIFEST["display_information"]["long_description"]) >= 174
