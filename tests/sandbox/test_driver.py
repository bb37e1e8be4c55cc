"""Slack -> app traffic: signing, slash commands, clicks, view submissions, events."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from slack_sdk.web.async_client import AsyncWebClient

from mentorbot_sandbox import FakeSlack, sign_request

from .conftest import TOKEN, Receiver
from .test_webapi import api_error

DOC_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
    b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
    b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands"
    b"%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)

BUTTONS = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Meet Bob?"}},
    {
        "type": "actions",
        "block_id": "choice",
        "elements": [
            {
                "type": "button",
                "action_id": "answer",
                "value": "yes",
                "text": {"type": "plain_text", "text": "Yes"},
            },
            {
                "type": "button",
                "action_id": "answer_no",
                "value": "no",
                "text": {"type": "plain_text", "text": "No"},
            },
            {
                "type": "overflow",
                "action_id": "more",
                "options": [
                    {"text": {"type": "plain_text", "text": "Snooze"}, "value": "snooze"},
                    {"text": {"type": "plain_text", "text": "Stop"}, "value": "stop"},
                ],
            },
        ],
    },
]


def pt(text: str) -> dict:
    return {"type": "plain_text", "text": text}


def inp(block_id: str, element: dict, optional: bool = False) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": pt(block_id),
        "element": element,
    }


def opts(*values: str) -> list[dict]:
    return [{"text": pt(v.title()), "value": v} for v in values]


FORM = {
    "type": "modal",
    "callback_id": "profile",
    "private_metadata": "program=7",
    "title": pt("Profile"),
    "submit": pt("Save"),
    "blocks": [
        inp("name", {"type": "plain_text_input", "action_id": "v", "min_length": 2}),
        inp("bio", {"type": "plain_text_input", "action_id": "bio", "initial_value": "hi"}, True),
        inp("age", {"type": "number_input", "action_id": "n", "is_decimal_allowed": False}, True),
        inp(
            "role",
            {"type": "static_select", "action_id": "role", "options": opts("mentor", "mentee")},
        ),
        inp(
            "topics",
            {"type": "checkboxes", "action_id": "t", "options": opts("ai", "ux", "ops")},
            True,
        ),
        inp(
            "tz",
            {
                "type": "radio_buttons",
                "action_id": "tz",
                "options": opts("am", "pm"),
                "initial_option": opts("am", "pm")[1],
            },
        ),
        inp("buddy", {"type": "users_select", "action_id": "u"}, True),
        inp("team", {"type": "multi_users_select", "action_id": "us"}, True),
        inp("chan", {"type": "conversations_select", "action_id": "c"}, True),
        inp("pub", {"type": "channels_select", "action_id": "ch"}, True),
        inp("start", {"type": "datepicker", "action_id": "d"}, True),
        inp("at", {"type": "timepicker", "action_id": "tm", "initial_time": "09:30"}, True),
        inp(
            "multi",
            {"type": "multi_static_select", "action_id": "ms", "options": opts("x", "y")},
            True,
        ),
    ],
}


async def open_modal(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver, view: dict
) -> dict:
    await fake.slash_command("U1")
    trigger = receiver.requests[-1]["body"]["trigger_id"]
    return (await client.views_open(trigger_id=trigger, view=view))["view"]


# -- signing -----------------------------------------------------------------------------------
def test_signature_matches_slack_worked_example() -> None:
    expected = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    assert sign_request("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", DOC_BODY) == expected


async def test_hostile_requests_are_rejected_by_verifier(
    fake: FakeSlack, receiver: Receiver
) -> None:
    good = await fake.post_raw(b'{"type":"x"}')
    assert good.status == 200
    stale = await fake.post_raw(b'{"type":"x"}', timestamp=int(time.time()) - 301)
    unsigned = await fake.post_raw(b'{"type":"x"}', sign=False)
    forged = await fake.post_raw(b"{}", headers={"X-Slack-Signature": "v0=" + "0" * 64}, sign=False)
    assert (stale.status, unsigned.status, forged.status) == (401, 401, 401)
    assert receiver.rejected == 3 and fake.acks[-1].kind == "raw"


# -- slash commands ----------------------------------------------------------------------------
async def test_slash_command_fields_ack_and_response_url(
    fake: FakeSlack, receiver: Receiver
) -> None:
    receiver.handler = lambda body: "Working on it…"
    result = await fake.slash_command("U1", "join mentor", channel_id="C1")
    assert result.status == 200
    body = receiver.requests[-1]["body"]
    for key in (
        "team_id",
        "channel_id",
        "channel_name",
        "user_id",
        "user_name",
        "command",
        "text",
        "api_app_id",
        "response_url",
        "trigger_id",
    ):
        assert body[key], key
    assert (body["command"], body["text"], body["channel_name"]) == (
        "/mentoring",
        "join mentor",
        "general",
    )
    first, second, third = body["trigger_id"].split(".")
    assert first.isdigit() and second.isdigit() and len(third) == 21
    assert [e.text for e in fake.ephemerals("U1")] == ["Working on it…"]

    async with httpx.AsyncClient() as http:
        url = body["response_url"]
        ok = await http.post(url, json={"text": "Done!", "replace_original": True})
        assert ok.status_code == 200
        assert [e.text for e in fake.ephemerals("U1")] == ["Done!"]  # replaced the ack
        await http.post(url, json={"text": "Welcome everyone", "response_type": "in_channel"})
        assert fake.messages("C1")[-1].text == "Welcome everyone"
        for _ in range(3):
            assert (await http.post(url, json={"text": "more"})).status_code == 200
        assert (await http.post(url, json={"text": "sixth"})).status_code == 404  # 5 uses max


async def test_json_ack_and_dm_default(fake: FakeSlack, receiver: Receiver) -> None:
    receiver.handler = lambda body: {"response_type": "in_channel", "text": "Public hello"}
    await fake.slash_command("U2", "hello")
    assert receiver.requests[-1]["body"]["channel_id"] == fake.dm_channel("U2")
    assert [m.text for m in fake.dm_messages("U2")] == ["Public hello"]
    assert fake.ephemerals("U2") == []


async def test_slow_ack_times_out(fake: FakeSlack, receiver: Receiver) -> None:
    async def slow(body: dict) -> None:
        await asyncio.sleep(0.5)

    receiver.handler = slow
    fake.ack_timeout = 0.2
    result = await fake.slash_command("U1")
    assert result.timed_out and result.status == 0 and fake.acks[-1].timed_out
    assert fake.ephemerals("U1") == []


# -- block_actions -----------------------------------------------------------------------------
async def test_click_message_button_and_replace_via_response_url(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    ts = (await client.chat_postMessage(channel="U1", text="Meet Bob?", blocks=BUTTONS))["ts"]
    dm = fake.dm_channel("U1")
    result = await fake.click("U1", "answer", channel=dm, ts=ts)
    assert result.status == 200
    payload = receiver.requests[-1]["body"]
    assert payload["type"] == "block_actions" and payload["user"]["id"] == "U1"
    assert payload["container"] == {
        "type": "message",
        "message_ts": ts,
        "channel_id": dm,
        "is_ephemeral": False,
    }
    assert (
        payload["message"]["ts"] == ts
        and payload["message"]["blocks"] == fake.messages(dm)[0].blocks
    )
    [action] = payload["actions"]
    assert (action["action_id"], action["block_id"], action["value"]) == ("answer", "choice", "yes")
    assert payload["trigger_id"] and payload["response_url"]

    async with httpx.AsyncClient() as http:
        await http.post(payload["response_url"], json={"replace_original": True, "text": "Thanks!"})
    [msg] = fake.dm_messages("U1")
    assert msg.text == "Thanks!" and msg.blocks == [] and msg.history[0]["text"] == "Meet Bob?"

    with pytest.raises(AssertionError, match="no element 'answer'"):
        await fake.click("U1", "answer", channel=dm, ts=ts)  # the buttons are gone now


async def test_click_refuses_what_slack_does_not_show(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    await client.chat_postMessage(channel="C1", text="q", blocks=BUTTONS)
    with pytest.raises(AssertionError, match="has 'delete_everything'; action_ids shown"):
        await fake.click("U1", "delete_everything", channel="C1")
    with pytest.raises(AssertionError, match="with value 'maybe'"):
        await fake.click("U1", "answer", channel="C1", value="maybe")
    with pytest.raises(AssertionError, match="not offered"):
        await fake.click("U1", "more", channel="C1", selected_option_value="explode")
    with pytest.raises(AssertionError):
        await fake.click("U1", "answer")
    assert receiver.requests == []

    await fake.click("U1", "more", channel="C1", selected_option_value="snooze")  # newest message
    action = receiver.requests[-1]["body"]["actions"][0]
    assert action["type"] == "overflow" and action["selected_option"]["value"] == "snooze"


async def test_click_in_view_then_push(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    view = await open_modal(
        fake, client, receiver, {"type": "modal", "title": pt("T"), "blocks": BUTTONS}
    )
    await fake.click("U1", "answer", view_id=view["id"])
    payload = receiver.requests[-1]["body"]
    assert payload["container"] == {"type": "view", "view_id": view["id"]}
    assert payload["view"]["id"] == view["id"] and "response_url" not in payload
    await client.views_push(trigger_id=payload["trigger_id"], view={**FORM})
    assert len(fake.open_views("U1")) == 2
    with pytest.raises(AssertionError, match="not visible"):
        await fake.click("U1", "answer", view_id=view["id"])  # covered by the pushed modal


# -- view_submission ---------------------------------------------------------------------------
async def test_submit_view_builds_state_from_element_types(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    view = await open_modal(fake, client, receiver, FORM)
    result = await fake.submit_view(
        "U1",
        view["id"],
        {
            "v": "Alice",
            "role": "mentee",
            "t": ["ai", "ops"],
            "n": 42,
            "u": "U2",
            "us": ["U2", "U3"],
            "c": "C1",
            "ch": "C1",
            "d": "2025-03-01",
            ("multi", "ms"): ["y"],
        },
    )
    submitted = receiver.requests[-1]["body"]
    assert submitted["type"] == "view_submission"
    sent = submitted["view"]
    assert (sent["id"], sent["callback_id"], sent["private_metadata"]) == (
        view["id"],
        "profile",
        "program=7",
    )
    assert sent["hash"] == view["hash"] and sent["title"] == pt("Profile")
    values = sent["state"]["values"]
    assert values["name"]["v"] == {"type": "plain_text_input", "value": "Alice"}
    assert values["bio"]["bio"]["value"] == "hi"  # initial value kept
    assert values["age"]["n"] == {"type": "number_input", "value": "42"}
    assert values["role"]["role"]["selected_option"] == {"text": pt("Mentee"), "value": "mentee"}
    assert [o["value"] for o in values["topics"]["t"]["selected_options"]] == ["ai", "ops"]
    assert values["tz"]["tz"]["selected_option"]["value"] == "pm"  # initial_option
    assert values["buddy"]["u"]["selected_user"] == "U2"
    assert values["team"]["us"]["selected_users"] == ["U2", "U3"]
    assert values["chan"]["c"]["selected_conversation"] == "C1"
    assert values["pub"]["ch"]["selected_channel"] == "C1"
    assert values["start"]["d"]["selected_date"] == "2025-03-01"
    assert values["at"]["tm"]["selected_time"] == "09:30"
    assert values["multi"]["ms"]["selected_options"][0]["value"] == "y"
    assert result.status == 200 and fake.open_views("U1") == [] and result.view is None


async def test_submit_view_client_side_rules(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    view = await open_modal(fake, client, receiver, FORM)
    sent_before = len(receiver.requests)
    with pytest.raises(AssertionError, match="required"):
        await fake.submit_view("U1", view["id"], {"v": "Alice"})  # role missing
    with pytest.raises(AssertionError, match="not offered"):
        await fake.submit_view("U1", view["id"], {"v": "Alice", "role": "boss"})
    with pytest.raises(AssertionError, match="length 1"):
        await fake.submit_view("U1", view["id"], {"v": "A", "role": "mentor"})
    with pytest.raises(AssertionError, match="not in this view"):
        await fake.submit_view("U1", view["id"], {"v": "Al", "role": "mentor", "nope": 1})
    with pytest.raises(AssertionError, match="not a known user"):
        await fake.submit_view("U1", view["id"], {"v": "Al", "role": "mentor", "u": "U404"})
    assert len(receiver.requests) == sent_before


async def test_submission_responses(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    view = await open_modal(fake, client, receiver, FORM)
    good = {"v": "Alice", "role": "mentor"}

    receiver.handler = lambda body: {"response_action": "errors", "errors": {"name": "Taken"}}
    result = await fake.submit_view("U1", view["id"], good)
    assert result.errors == {"name": "Taken"} and result.view["id"] == view["id"]

    receiver.handler = lambda body: {"response_action": "errors", "errors": {"nope": "x"}}
    result = await fake.submit_view("U1", view["id"], good)
    assert result.errors is None and fake.validation_errors[-1].error == "invalid_errors"

    thanks = {"type": "modal", "title": pt("Thanks"), "blocks": BUTTONS}
    receiver.handler = lambda body: {"response_action": "update", "view": thanks}
    result = await fake.submit_view("U1", view["id"], good)
    assert result.view["id"] == view["id"] and result.view["title"] == pt("Thanks")
    with pytest.raises(AssertionError, match="no submit"):
        await fake.submit_view("U1", view["id"])

    await client.views_update(view_id=view["id"], view=FORM)
    receiver.handler = lambda body: {"response_action": "push", "view": FORM}
    result = await fake.submit_view("U1", view["id"], good)
    assert len(fake.open_views("U1")) == 2 and result.view["previous_view_id"] == view["id"]

    receiver.handler = lambda body: {"response_action": "clear"}
    await fake.submit_view("U1", result.view["id"], good)
    assert fake.open_views("U1") == []


async def test_raw_payload_edit_and_bad_update_view(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    view = await open_modal(fake, client, receiver, FORM)

    def tamper(payload: dict) -> None:
        payload["view"]["private_metadata"] = "program=999"

    bad_view = {"type": "modal", "title": pt("x" * 30), "blocks": BUTTONS}
    receiver.handler = lambda body: {"response_action": "update", "view": bad_view}
    await fake.submit_view("U1", view["id"], {"v": "Al", "role": "mentor"}, raw_payload_edit=tamper)
    assert receiver.requests[-1]["body"]["view"]["private_metadata"] == "program=999"
    assert fake.view(view["id"])["title"] == pt("Profile")  # invalid update was not applied
    assert fake.validation_errors[-1].method == "view_submission:update"


async def test_close_view_notifies(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    view = await open_modal(fake, client, receiver, {**FORM, "notify_on_close": True})
    result = await fake.close_view("U1", view["id"])
    assert result is not None and receiver.requests[-1]["body"]["type"] == "view_closed"
    assert receiver.requests[-1]["body"]["is_cleared"] is False and fake.open_views("U1") == []


# -- events ------------------------------------------------------------------------------------
async def test_events_envelope_retries_home_and_url_verification(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    await fake.send_event({"type": "member_joined_channel", "user": "U1", "channel": "C1"})
    first = receiver.requests[-1]
    envelope = first["body"]
    assert envelope["type"] == "event_callback" and envelope["team_id"] == "T0001"
    assert envelope["api_app_id"] and envelope["event_id"] and envelope["event_time"]
    assert envelope["authorizations"][0]["user_id"] == "UBOT"
    assert "X-Slack-Retry-Num" not in first["headers"]

    await fake.send_event(envelope["event"], event_id=envelope["event_id"], retry_num=1)
    retried = receiver.requests[-1]
    assert retried["body"]["event_id"] == envelope["event_id"]
    assert retried["headers"]["X-Slack-Retry-Num"] == "1"
    assert retried["headers"]["X-Slack-Retry-Reason"] == "http_timeout"

    home = {"type": "home", "blocks": BUTTONS}
    await client.views_publish(user_id="U1", view=home)
    await fake.open_home("U1")
    event = receiver.requests[-1]["body"]["event"]
    assert (event["type"], event["tab"], event["user"]) == ("app_home_opened", "home", "U1")
    assert event["view"]["id"] == fake.home("U1")["id"]
    await fake.click("U1", "answer", view_id=fake.home("U1")["id"])
    assert receiver.requests[-1]["body"]["container"]["type"] == "view"

    receiver.handler = lambda body: {"challenge": body["challenge"]}
    result = await fake.url_verification("3eZbrw1aBm2")
    assert result.json == {"challenge": "3eZbrw1aBm2"}

    await fake.post_user_message("U2", "hi bot")
    event = receiver.requests[-1]["body"]["event"]
    assert (event["channel_type"], event["text"]) == ("im", "hi bot")
    assert fake.dm_messages("U2")[0].user == "U2"


async def test_wait_for(fake: FakeSlack, client: AsyncWebClient) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C1", text="eventually")

    task = asyncio.create_task(later())
    msg = await fake.wait_for(lambda: fake.messages("C1") and fake.messages("C1")[-1], timeout=2)
    assert msg.text == "eventually"
    await task

    def never() -> bool:
        return False

    with pytest.raises(TimeoutError, match="never not met") as info:
        await fake.wait_for(never, timeout=0.05)
    assert "chat.postMessage -> ok" in str(info.value)
    assert json.dumps(fake.stats)  # stats are plain JSON-able data


FILE_FORM = {
    "type": "modal",
    "callback_id": "upload",
    "title": pt("Upload"),
    "submit": pt("Send"),
    "blocks": [
        inp("file", {"type": "file_input", "action_id": "f", "filetypes": ["csv"], "max_files": 1})
    ],
}


async def test_files_users_give_the_app_file_input_and_dm_share(
    fake: FakeSlack, client: AsyncWebClient, receiver: Receiver
) -> None:
    """A user's file is the app's to read only once given to it: submitted in its modal (the
    state carries Slack's file object) or shared where the bot is (a file_share message event);
    the download needs the bot token."""
    mine = fake.add_file("U1", "people.csv", b"email\na@example.com\n")
    other = fake.add_file("U2", "notes.txt", b"private")
    assert (await api_error(client.files_info(file=mine["id"]))).response["error"] == (
        "file_not_found"
    )
    view = await open_modal(fake, client, receiver, FILE_FORM)
    with pytest.raises(AssertionError, match="at most 1 files"):
        await fake.submit_view("U1", view["id"], {"f": [mine, other]})
    await fake.submit_view("U1", view["id"], {"f": mine})
    state = receiver.requests[-1]["body"]["view"]["state"]["values"]["file"]["f"]
    [sent] = state["files"]
    assert state["type"] == "file_input"
    assert (sent["id"], sent["name"], sent["filetype"], sent["mimetype"], sent["size"]) == (
        mine["id"],
        "people.csv",
        "csv",
        "text/csv",
        20,
    )
    info = (await client.files_info(file=mine["id"]))["file"]
    assert info["url_private_download"] == sent["url_private_download"]
    async with httpx.AsyncClient() as http:
        url = info["url_private_download"]
        assert (await http.get(url)).status_code == 403
        assert (
            await http.get(url, headers={"Authorization": "Bearer xoxb-wrong"})
        ).status_code == 403
        got = await http.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert got.content == b"email\na@example.com\n"

    await fake.share_file("U2", other, text="for you")
    event = receiver.requests[-1]["body"]["event"]
    assert (event["type"], event["subtype"], event["channel_type"], event["user"]) == (
        "message",
        "file_share",
        "im",
        "U2",
    )
    assert event["files"][0]["id"] == other["id"] and event["text"] == "for you"
    assert event["files"][0]["ims"] == [fake.dm_channel("U2")]
    assert fake.dm_messages("U2")[-1].files[0]["name"] == "notes.txt"
    assert (await client.files_info(file=other["id"]))["file"]["filetype"] == "text"
