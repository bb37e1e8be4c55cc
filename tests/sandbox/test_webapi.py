"""Web API methods of the fake, driven through the real slack_sdk AsyncWebClient."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mentorbot_sandbox import FakeSlack

from .conftest import TOKEN


async def api_error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as info:
        await call
    return info.value


# -- auth --------------------------------------------------------------------------------------
async def test_auth_test_and_bad_tokens(fake: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.auth_test()
    assert resp["user_id"] == "UBOT" and resp["team_id"] == "T0001" and resp["bot_id"]

    bad = AsyncWebClient(token="xoxb-wrong", base_url=fake.base_url)
    assert (await api_error(bad.auth_test())).response["error"] == "invalid_auth"

    async with httpx.AsyncClient() as http:
        missing = await http.post(fake.base_url + "auth.test")
        assert missing.json() == {"ok": False, "error": "not_authed"}
        as_field = await http.post(fake.base_url + "auth.test", data={"token": TOKEN})
        assert as_field.json()["ok"] is True
        unknown = await http.post(fake.base_url + "chat.teleport", data={"token": TOKEN})
        assert unknown.status_code == 200 and unknown.json()["error"] == "unknown_method"
    assert [c.error for c in fake.calls[-3:]] == ["not_authed", None, "unknown_method"]


# -- chat --------------------------------------------------------------------------------------
async def test_post_message_channel_dm_thread_and_metadata(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    resp = await client.chat_postMessage(channel="C1", text="hi", blocks=blocks)
    assert resp["channel"] == "C1" and resp["message"]["text"] == "hi"
    parent_ts = resp["ts"]
    reply = await client.chat_postMessage(
        channel="C1",
        text="in thread",
        thread_ts=parent_ts,
        metadata={"event_type": "pairing", "event_payload": {"id": 7}},
    )
    stored = fake.messages("C1")
    assert [m.ts for m in stored] == [parent_ts, reply["ts"]]
    assert stored[1].thread_ts == parent_ts and stored[1].metadata["event_payload"] == {"id": 7}
    assert stored[0].reply_count == 1 and stored[0].blocks[0]["block_id"]  # Slack adds ids

    dm = await client.chat_postMessage(channel="U1", text="hello alice")
    assert dm["channel"].startswith("D") and dm["channel"] == fake.dm_channel("U1")
    assert [m.text for m in fake.dm_messages("U1")] == ["hello alice"]


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
async def test_post_message_errors(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.add_channel("C2", "secret", members=["U1"], is_private=True, bot_is_member=False)
    fake.add_channel("C3", "open-plan", members=["U1"], bot_is_member=False)
    cases = [
        ({"channel": "C404", "text": "x"}, "channel_not_found"),
        ({"channel": "U404", "text": "x"}, "channel_not_found"),
        ({"channel": "C1"}, "no_text"),
        # The bot was never invited: a private channel is invisible to it, a public one is not.
        ({"channel": "C2", "text": "x"}, "channel_not_found"),
        ({"channel": "C3", "text": "x"}, "not_in_channel"),
        ({"channel": "C1", "text": "x", "metadata": {"nope": 1}}, "invalid_metadata_format"),
    ]
    for kwargs, error in cases:
        assert (await api_error(client.chat_postMessage(**kwargs))).response["error"] == error
    fake.add_user("U9", "gone", deleted=True)
    err = await api_error(client.chat_postMessage(channel="U9", text="x"))
    assert err.response["error"] == "is_archived"
    assert fake.messages("C1") == []


async def test_post_ephemeral(fake: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    [eph] = fake.ephemerals("U1")
    assert eph.ts == resp["message_ts"] and eph.text == "only you" and eph.channel == "C1"
    err = await api_error(client.chat_postEphemeral(channel="C1", user="U3", text="x"))
    assert err.response["error"] == "user_not_in_channel"
    assert fake.messages("C1") == []


async def test_update_and_delete(fake: FakeSlack, client: AsyncWebClient, receiver) -> None:
    ts = (await client.chat_postMessage(channel="C1", text="v1"))["ts"]
    resp = await client.chat_update(channel="C1", ts=ts, text="v2")
    assert resp["text"] == "v2"
    [msg] = fake.messages("C1")
    assert msg.text == "v2" and msg.edited["user"] == "UBOT"
    assert [h["text"] for h in msg.history] == ["v1"]
    err = await api_error(client.chat_update(channel="C1", ts="1.000", text="x"))
    assert err.response["error"] == "message_not_found"

    await fake.post_user_message("U1", "a human wrote this", channel="C1")
    human_ts = fake.messages("C1")[-1].ts
    err = await api_error(client.chat_update(channel="C1", ts=human_ts, text="x"))
    assert err.response["error"] == "cant_update_message"
    err = await api_error(client.chat_delete(channel="C1", ts=human_ts))
    assert err.response["error"] == "cant_delete_message"

    await client.chat_delete(channel="C1", ts=ts)
    assert [m.ts for m in fake.messages("C1")] == [human_ts]


# -- conversations -----------------------------------------------------------------------------
async def test_conversations_open_is_idempotent(fake: FakeSlack, client: AsyncWebClient) -> None:
    first = (await client.conversations_open(users=["U1"]))["channel"]["id"]
    again = (await client.conversations_open(users="U1"))["channel"]["id"]
    assert first == again == fake.dm_channel("U1") and first.startswith("D")

    group = (await client.conversations_open(users=["U1", "U2"]))["channel"]["id"]
    same = (await client.conversations_open(users=["U2", "U1", "UBOT"]))["channel"]["id"]
    assert group == same == fake.mpim_for("U1", "U2") and group.startswith("G")
    members = (await client.conversations_members(channel=group))["members"]
    assert sorted(members) == ["U1", "U2", "UBOT"]
    full = await client.conversations_open(users=["U1"], return_im=True)
    assert full["channel"]["is_im"] is True and full["channel"]["user"] == "U1"


async def test_conversations_open_errors(fake: FakeSlack, client: AsyncWebClient) -> None:
    for i in range(9):
        fake.add_user(f"UX{i}", f"x{i}")
    cases = [
        ({"users": [f"UX{i}" for i in range(9)]}, "too_many_users"),
        ({"users": ["U1", "U404"]}, "user_not_found"),
        ({"users": ""}, "users_list_not_supplied"),
    ]
    for kwargs, error in cases:
        assert (await api_error(client.conversations_open(**kwargs))).response["error"] == error
    assert fake.mpim_for(*[f"UX{i}" for i in range(9)]) is None


async def test_conversations_info_and_members_pagination(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    info = await client.conversations_info(channel="C1", include_num_members=True)
    assert info["channel"]["name"] == "general" and info["channel"]["num_members"] == 3
    assert info["channel"]["is_member"] is True
    err = await api_error(client.conversations_info(channel="C404"))
    assert err.response["error"] == "channel_not_found"

    page1 = await client.conversations_members(channel="C1", limit=2)
    cursor = page1["response_metadata"]["next_cursor"]
    page2 = await client.conversations_members(channel="C1", limit=2, cursor=cursor)
    assert page1["members"] + page2["members"] == ["U1", "U2", "UBOT"]
    assert page2["response_metadata"]["next_cursor"] == ""
    err = await api_error(client.conversations_members(channel="C1", cursor="garbage!"))
    assert err.response["error"] == "invalid_cursor"


# -- users -------------------------------------------------------------------------------------
async def test_users_info_and_list(fake: FakeSlack, client: AsyncWebClient) -> None:
    alice = (await client.users_info(user="U1"))["user"]
    assert alice["tz"] == "Europe/London" and alice["tz_offset"] in (0, 3600)
    assert alice["profile"]["real_name"] == "Alice A"
    assert alice["profile"]["email"] == "alice@example.com"
    assert alice["profile"]["display_name"] == "alice"
    carol = (await client.users_info(user="U3"))["user"]
    assert carol["tz_offset"] == 19800
    err = await api_error(client.users_info(user="U404"))
    assert err.response["error"] == "user_not_found"

    seen, cursor = [], None
    while True:
        page = await client.users_list(limit=2, cursor=cursor)
        seen += [m["id"] for m in page["members"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert seen == ["UBOT", "U1", "U2", "U3"]


# -- views -------------------------------------------------------------------------------------
MODAL = {
    "type": "modal",
    "callback_id": "signup",
    "title": {"type": "plain_text", "text": "Sign up"},
    "submit": {"type": "plain_text", "text": "Save"},
    "blocks": [
        {
            "type": "input",
            "block_id": "goal",
            "label": {"type": "plain_text", "text": "Goal"},
            "element": {"type": "plain_text_input", "action_id": "goal_text"},
        }
    ],
}


async def test_views_open_trigger_rules(fake: FakeSlack, client: AsyncWebClient, receiver) -> None:
    await fake.slash_command("U1", "join")
    trigger = receiver.requests[-1]["body"]["trigger_id"]
    view = (await client.views_open(trigger_id=trigger, view=MODAL))["view"]
    assert view["id"].startswith("V") and view["hash"] and view["state"] == {"values": {}}
    assert view["callback_id"] == "signup" and fake.open_views("U1") == [view]

    err = await api_error(client.views_open(trigger_id=trigger, view=MODAL))
    assert err.response["error"] == "exchanged_trigger_id"
    err = await api_error(client.views_open(trigger_id="1.2.abc", view=MODAL))
    assert err.response["error"] == "invalid_trigger_id"

    fake.trigger_ttl = 0.05
    await fake.slash_command("U2", "join")
    stale = receiver.requests[-1]["body"]["trigger_id"]
    await asyncio.sleep(0.1)
    err = await api_error(client.views_open(trigger_id=stale, view=MODAL))
    assert err.response["error"] == "expired_trigger_id"
    assert fake.open_views("U2") == []


async def test_views_push_update_and_publish(
    fake: FakeSlack, client: AsyncWebClient, receiver
) -> None:
    async def trigger() -> str:
        await fake.slash_command("U1")
        return receiver.requests[-1]["body"]["trigger_id"]

    root = (await client.views_open(trigger_id=await trigger(), view=MODAL))["view"]
    for _ in range(2):
        await client.views_push(trigger_id=await trigger(), view=MODAL)
    assert len(fake.open_views("U1")) == 3
    err = await api_error(client.views_push(trigger_id=await trigger(), view=MODAL))
    assert err.response["error"] == "push_limit_reached"

    updated = await client.views_update(
        view_id=root["id"], hash=root["hash"], view={**MODAL, "private_metadata": "v2"}
    )
    assert updated["view"]["private_metadata"] == "v2" and updated["view"]["hash"] != root["hash"]
    err = await api_error(client.views_update(view_id=root["id"], hash=root["hash"], view=MODAL))
    assert err.response["error"] == "hash_conflict"
    err = await api_error(client.views_update(view_id="V404", view=MODAL))
    assert err.response["error"] == "not_found"

    top = fake.open_views("U1")[-1]
    ext = {**MODAL, "external_id": "ext-1"}
    await client.views_update(view_id=top["id"], view=ext)
    by_ext = await client.views_update(external_id="ext-1", view={**ext, "callback_id": "x"})
    assert by_ext["view"]["id"] == top["id"] and fake.view(top["id"])["callback_id"] == "x"

    home = {
        "type": "home",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Hi"}}],
    }
    first = (await client.views_publish(user_id="U2", view=home))["view"]
    second = (await client.views_publish(user_id="U2", view=home, hash=first["hash"]))["view"]
    assert fake.home("U2") == second and second["id"] == first["id"]
    err = await api_error(client.views_publish(user_id="U2", view=home, hash=first["hash"]))
    assert err.response["error"] == "hash_conflict"


# -- files -------------------------------------------------------------------------------------
async def test_files_upload_v2(fake: FakeSlack, client: AsyncWebClient) -> None:
    resp = await client.files_upload_v2(
        channel="C1", content="a,b\n1,2\n", filename="report.csv", initial_comment="Weekly"
    )
    file_id = resp["file"]["id"]
    assert fake.files[file_id].content == b"a,b\n1,2\n" and fake.files[file_id].completed
    [msg] = fake.messages("C1")
    assert msg.text == "Weekly" and msg.files[0]["id"] == file_id
    assert msg.files[0]["name"] == "report.csv"

    async with httpx.AsyncClient() as http:
        url = msg.files[0]["url_private"]
        assert (await http.get(url)).status_code == 403
        download = await http.get(url, headers={"Authorization": f"Bearer {TOKEN}"})
        assert download.content == b"a,b\n1,2\n"

    err = await api_error(
        client.files_completeUploadExternal(files=[{"id": "F404", "title": "x"}], channel_id="C1")
    )
    assert err.response["error"] == "file_not_found"
    err = await api_error(client.files_getUploadURLExternal(filename="x.txt", length=0))
    assert err.response["error"] == "missing_argument"


# -- reactions ---------------------------------------------------------------------------------
async def test_reactions_add(fake: FakeSlack, client: AsyncWebClient) -> None:
    ts = (await client.chat_postMessage(channel="C1", text="react"))["ts"]
    await client.reactions_add(channel="C1", timestamp=ts, name="tada")
    assert fake.messages("C1")[0].reactions == [{"name": "tada", "users": ["UBOT"], "count": 1}]
    err = await api_error(client.reactions_add(channel="C1", timestamp=ts, name="tada"))
    assert err.response["error"] == "already_reacted"
    err = await api_error(client.reactions_add(channel="C1", timestamp="1.0", name="tada"))
    assert err.response["error"] == "message_not_found"
