"""Listeners one at a time: a signed request into the Bolt app, Bolt's response out.

No web server for the bot: each test hands Bolt an `AsyncBoltRequest` and reads the
`BoltResponse` (what Slack would get as the ack); the local Slack fake answers the Web API calls
a listener makes after its ack. Fast enough for the fast tier (`pytest -m "not slow"`).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from sqlalchemy import func, select

from bot import ids
from bot.app import build_bolt_app, build_context
from bot.clock import FixedClock
from bot.config import load_settings
from bot.context import AppContext
from bot.db import Database
from bot.handlers.reports import parse_report_args
from bot.handlers.selfservice import parse_weeks
from bot.listeners import Routes
from bot.models import Goal, ProcessedRequest, Program, Response
from bot.refusals import Refusal
from bot.texts import text
from mentorbot_sandbox import FakeSlack
from mentorbot_sandbox.driver import sign_request
from tests.seed import NOW, PAIR_CHANNEL, checkin_id_of, seed_pair

ADMIN, HR_CHANNEL = "U0HRADMIN", "CHRTEAM01"


@dataclass
class Harness:
    fake: FakeSlack
    ctx: AppContext
    app: AsyncApp
    secret: str

    async def send(self, body: dict[str, Any]) -> BoltResponse:
        """Sign and dispatch: a slash command as a form, anything else as `payload=<json>`."""
        raw = urlencode(body if "command" in body else {"payload": json.dumps(body)})
        stamp = str(int(time.time()))
        headers = {
            "content-type": "application/x-www-form-urlencoded",
            "x-slack-request-timestamp": stamp,
            "x-slack-signature": sign_request(self.secret, stamp, raw.encode()),
        }
        return await self.app.async_dispatch(AsyncBoltRequest(body=raw, headers=headers))


@pytest.fixture
async def slack(db_url: str) -> AsyncIterator[Harness]:
    secret, token = secrets.token_hex(16), "xoxb-listeners-" + secrets.token_hex(6)
    fake = FakeSlack(signing_secret=secret, bot_token=token)
    base_url = await fake.start()
    settings = load_settings(
        None,
        slack_bot_token=token,
        slack_signing_secret=secret,
        slack_api_url=base_url,
        database_url=db_url,
        hr_admin_ids=ADMIN,
        hr_channel_id=HR_CHANNEL,
    )
    ctx = build_context(settings, db=Database(db_url), clock=FixedClock(NOW))
    try:
        yield Harness(fake, ctx, build_bolt_app(ctx), secret)
    finally:
        await ctx.tasks.finish(5)  # listeners still working after their ack
        await ctx.db.dispose()
        await fake.stop()


def command(user: str, words: str) -> dict[str, Any]:
    return {
        "command": ids.COMMAND,
        "text": words,
        "user_id": user,
        "channel_id": "D0DIRECT1",
        "team_id": "T0001",
        "trigger_id": secrets.token_hex(8),
        "response_url": "https://hooks.slack.invalid/commands/never-used",
    }


def submission(user: str, callback_id: str, metadata: str = "") -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "api_app_id": "A0SANDBOX",
        "trigger_id": secrets.token_hex(8),
        "view": {
            "id": "V0" + secrets.token_hex(4).upper(),
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": metadata,
            "blocks": [],
            "state": {"values": {}},
        },
    }


async def count(ctx: AppContext, model: type) -> int:
    async with ctx.db.session() as s:
        return int(await s.scalar(select(func.count()).select_from(model)) or 0)


async def test_help_is_the_ack_itself_and_names_an_unknown_subcommand(slack):
    response = await slack.send(command("U0PRIYA01", "dance"))
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["response_type"] == "ephemeral"
    assert "dance" in json.dumps(answer["blocks"])
    admin_help = json.dumps(json.loads((await slack.send(command(ADMIN, "help"))).body)["blocks"])
    assert "/mentoring admin" in admin_help and "/mentoring admin" not in json.dumps(answer)


async def test_a_non_admin_saving_a_program_gets_a_field_error_and_nothing_is_stored(slack):
    response = await slack.send(submission("U0PRIYA01", ids.PROGRAM_CALLBACK))
    answer = json.loads(response.body)
    assert answer == {
        "response_action": "errors",
        "errors": {ids.B_PROGRAM_NAME: text("errors.not_admin")},
    }
    assert await count(slack.ctx, Program) == 0


async def test_goals_from_someone_without_a_profile_are_refused_on_the_first_field(slack):
    response = await slack.send(submission("U0PRIYA01", ids.GOALS_CALLBACK, '{"goal_ids": []}'))
    answer = json.loads(response.body)
    assert answer["errors"] == {ids.goal_block("description", 0): text("goals.need_profile")}
    assert await count(slack.ctx, Goal) == 0


def met_click(user: str, checkin_id: int) -> dict:
    """A "We met" click on the check-in, as Slack sends it from the pair's group DM."""
    return {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": user},
        "api_app_id": "A0SANDBOX",
        "trigger_id": secrets.token_hex(8),
        "channel": {"id": PAIR_CHANNEL},
        "actions": [{"action_id": ids.CHECKIN_MET, "value": str(checkin_id), "type": "button"}],
    }


async def test_a_checkin_click_from_outside_the_pair_is_refused_where_they_clicked(slack):
    pair_id = await seed_pair(slack.ctx.db)
    checkin_id = await checkin_id_of(slack.ctx.db, pair_id)
    slack.fake.add_user("U0OTHER01", "other")
    slack.fake.add_channel(PAIR_CHANNEL, "mpdm-pair", members=["U0SHARE01", "U0LEARN01"])
    click = met_click("U0OTHER01", checkin_id)
    response = await slack.send(click)
    assert response.status == 200
    await slack.ctx.tasks.finish(5)
    told = [m["text"] for m in slack.fake.ephemerals("U0OTHER01")] + [
        m["text"] for m in slack.fake.dm_messages("U0OTHER01")
    ]
    assert told == [text("checkin.not_yours")]
    assert await count(slack.ctx, Response) == 0


async def test_a_click_replayed_is_stored_and_told_once_with_its_record_in_the_same_commit(slack):
    pair_id = await seed_pair(slack.ctx.db)
    checkin_id = await checkin_id_of(slack.ctx.db, pair_id)
    slack.fake.add_channel(PAIR_CHANNEL, "mpdm-pair", members=["U0SHARE01", "U0LEARN01"])
    click = met_click("U0SHARE01", checkin_id)
    for _ in range(2):
        assert (await slack.send(click)).status == 200
        await slack.ctx.tasks.finish(5)
    assert await count(slack.ctx, Response) == 1
    assert await count(slack.ctx, ProcessedRequest) == 1
    assert [m["text"] for m in slack.fake.ephemerals("U0SHARE01")] == [text("checkin.recorded.met")]


async def test_help_keeps_no_record_and_an_action_nobody_answers_stays_unhandled(slack):
    assert (await slack.send(command("U0PRIYA01", "help"))).status == 200
    assert await count(slack.ctx, ProcessedRequest) == 0  # showing help twice does no harm
    click = {
        "type": "block_actions",
        "team": {"id": "T0001"},
        "user": {"id": "U0PRIYA01"},
        "trigger_id": secrets.token_hex(8),
        "actions": [{"action_id": "no_such_button", "value": "1", "type": "button"}],
    }
    assert (await slack.send(click)).status == 404  # Bolt's answer when no listener matches


def test_routes_refuse_an_id_answered_twice_and_arguments_bolt_does_not_give():
    async def pause(ack: Any, context: Any) -> None: ...

    async def needs_a_session(ack: Any, session: Any) -> None: ...

    routes = Routes()
    routes.command("pause", pause)
    with pytest.raises(ValueError, match="answered twice"):
        routes.command("pause", pause)
    with pytest.raises(TypeError, match="session"):
        routes.action("x", needs_a_session)


def test_pause_weeks_are_one_to_twelve_or_refused():
    assert parse_weeks([]) is None and parse_weeks(["2"]) == 2 and parse_weeks(["12w"]) == 12
    for bad in (["0"], ["13"], ["²"], ["9" * 5000], ["soon"]):
        with pytest.raises(Refusal) as refused:
            parse_weeks(bad)
        assert refused.value.message == text("self_service.pause_bad_weeks")


def test_report_arguments_or_a_refusal_for_weeks_out_of_range():
    asked = parse_report_args(["csv", "Spring", "cohort", "6"])
    assert (asked.csv, asked.program_name, asked.weeks) == (True, "Spring cohort", 6)
    assert parse_report_args(["“Autumn”"]).program_name == "Autumn"
    with pytest.raises(Refusal) as refused:
        parse_report_args(["60"])
    assert refused.value.key == "reports.bad_weeks"
