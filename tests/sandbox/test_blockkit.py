"""Block Kit validation: what Slack rejects must be rejected here too, with Slack's format."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mentorbot_sandbox import FakeSlack, render_blocks
from mentorbot_sandbox.blockkit import BlockKitError, check_message_blocks, check_view


def section(text: str, **extra) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def text_input(block_id: str = "b", **element) -> dict:
    return {
        "type": "input",
        "block_id": block_id,
        "label": {"type": "plain_text", "text": "Label"},
        "element": {"type": "plain_text_input", "action_id": "a", **element},
    }


def modal(blocks: list, **extra) -> dict:
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "T"},
        "blocks": blocks,
        **extra,
    }


def rejection(blocks: list) -> BlockKitError:
    with pytest.raises(BlockKitError) as info:
        check_message_blocks(blocks)
    return info.value


async def test_overlong_section_rejected_with_json_pointer(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C1", text="x", blocks=[section("x" * 3001)])
    resp = info.value.response
    assert resp["error"] == "invalid_blocks"
    assert (
        "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]"
        in resp["response_metadata"]["messages"]
    )
    assert fake.messages("C1") == []
    assert [(e.method, e.error) for e in fake.validation_errors] == [
        ("chat.postMessage", "invalid_blocks")
    ]


async def test_51_blocks_rejected_50_accepted(fake: FakeSlack, client: AsyncWebClient) -> None:
    await client.chat_postMessage(channel="C1", text="ok", blocks=[section("s")] * 50)
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C1", text="no", blocks=[section("s")] * 51)
    assert info.value.response["error"] == "invalid_blocks"
    assert len(fake.messages("C1")) == 1


async def test_input_without_submit_rejected_by_views_open(
    fake: FakeSlack, client: AsyncWebClient, receiver
) -> None:
    await fake.slash_command("U1")
    trigger = receiver.requests[-1]["body"]["trigger_id"]
    with pytest.raises(SlackApiError) as info:
        await client.views_open(trigger_id=trigger, view=modal([text_input()]))
    resp = info.value.response
    assert resp["error"] == "invalid_arguments"
    assert resp["response_metadata"]["messages"] == [
        "[ERROR] must define submit to use input block [json-pointer:/view/blocks/0/input]"
    ]
    # the failed call did not burn the trigger
    await client.views_open(
        trigger_id=trigger, view=modal([text_input()], submit={"type": "plain_text", "text": "Go"})
    )


@pytest.mark.parametrize(
    ("blocks", "pointer"),
    [
        ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]}], "/fields/0"),
        ([text_input(max_length=5000)], "/element/max_length"),
        ([text_input(min_length=10, max_length=5)], "/element/min_length"),
        ([section("a", block_id="x"), section("b", block_id="x")], "/blocks/1/block_id"),
        ([section("")], "/text/text"),
        ([{"type": "header", "text": {"type": "mrkdwn", "text": "h"}}], "/text/type"),
        ([{"type": "no_such_block"}], "/type"),
        ([{"type": "section", "text": "plain string"}], "/text"),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "a"},
                            "action_id": "d",
                        },
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "b"},
                            "action_id": "d",
                        },
                    ],
                }
            ],
            "/elements/1/action_id",
        ),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {"type": "button", "text": {"type": "plain_text", "text": "x" * 76}}
                    ],
                }
            ],
            "/blocks/0",  # reported by slack_sdk's own validator too
        ),
    ],
)
def test_structural_rejections(blocks: list, pointer: str) -> None:
    err = rejection(blocks)
    assert err.code == "invalid_blocks"
    assert any(pointer in m and m.startswith("[ERROR] ") for m in err.messages), err.messages


def test_total_text_ceiling_and_formats() -> None:
    assert rejection([section("x" * 2500)] * 5).code == "msg_blocks_too_long"
    assert rejection({"type": "section"}).code == "invalid_blocks_format"  # type: ignore[arg-type]
    check_message_blocks([section("x" * 2000)] * 5)


def test_view_rules() -> None:
    def view_error(view: dict) -> BlockKitError:
        with pytest.raises(BlockKitError) as info:
            check_view(view)
        return info.value

    long_title = modal([section("a")], title={"type": "plain_text", "text": "x" * 25})
    assert any("/view/title/text" in m for m in view_error(long_title).messages)
    long_submit = modal([text_input()], submit={"type": "plain_text", "text": "s" * 25})
    assert any("/view/submit" in m for m in view_error(long_submit).messages)
    assert view_error(modal([section("a")] * 101)).code == "invalid_arguments"
    big = modal([section("x" * 2900, block_id=str(i)) for i in range(95)])
    assert view_error(big).code == "view_too_large"
    check_view({"type": "home", "blocks": [text_input()]})  # home tabs need no submit
    check_view(modal([section("a")] * 100))
    files = {"type": "file_input", "action_id": "f", "filetypes": ["csv"], "max_files": 1}
    label = {"type": "plain_text", "text": "File"}
    file_input = {"type": "input", "block_id": "f", "label": label, "element": files}
    check_view(modal([file_input], submit={"type": "plain_text", "text": "Send"}))
    too_many = {**file_input, "element": {**files, "max_files": 11}}
    submit = {"type": "plain_text", "text": "Send"}
    assert any("max_files" in m for m in view_error(modal([too_many], submit=submit)).messages)


async def test_blocks_without_text_only_warn(fake: FakeSlack, client: AsyncWebClient) -> None:
    with pytest.warns(UserWarning):
        await client.chat_postMessage(channel="C1", blocks=[section("hi")])
    assert len(fake.messages("C1")) == 1 and fake.validation_errors == []
    assert [w.method for w in fake.warnings] == ["chat.postMessage"]


def test_render_blocks() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Weekly check-in"}},
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "How did it go?"},
            "fields": [{"type": "mrkdwn", "text": "*Mentor*"}, {"type": "mrkdwn", "text": "Bob"}],
        },
        {"type": "divider"},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "week 3"}]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": {"type": "plain_text", "text": "Great"},
                    "action_id": "g",
                },
                {
                    "type": "static_select",
                    "action_id": "s",
                    "placeholder": {"type": "plain_text", "text": "Pick"},
                    "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}],
                },
            ],
        },
        text_input(),
    ]
    assert render_blocks(blocks) == (
        "== Weekly check-in ==\n"
        "How did it go?\n"
        "  *Mentor*\n"
        "  Bob\n"
        "----------\n"
        "  week 3\n"
        "[Great] [Pick ▾]\n"
        "Label: ____"
    )
