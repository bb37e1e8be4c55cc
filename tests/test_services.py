"""Services on their own, on both databases: what a flow may do, refused in the person's words.

These run without Slack (services never call it), so they are part of the fast tier.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import build_context
from bot.config import load_settings
from bot.models import (
    Pair,
    PairingFeedback,
    PairStatus,
)
from bot.refusals import Refusal
from bot.services import checkins as answers
from bot.services import pairing, reports
from bot.services.checkin_plan import plan_inputs
from bot.services.kickoffs import pair_to_kick_off, pending_pairs
from bot.texts import text
from tests.seed import NOW, checkin_id_of, seed_pair

HR_CHANNEL = "CHRTEAM01"


def context(db, hr_channel: str | None = HR_CHANNEL):
    settings = load_settings(
        None,
        slack_bot_token="xoxb-test",
        slack_signing_secret="s" * 32,
        database_url="sqlite:///:memory:",
        hr_channel_id=hr_channel,
    )
    return build_context(settings, db=db)


@pytest.fixture
async def pair_id(db) -> int:
    return await seed_pair(db)


async def test_a_refusal_reads_as_its_text():
    refusal = Refusal("programs.unknown", name="Autumn", names="Spring")
    assert refusal.message == text("programs.unknown", name="Autumn", names="Spring")
    assert str(refusal) == "programs.unknown"  # what a log line shows: never the values


async def test_find_program_by_name_or_refuses_naming_the_programs(db, pair_id):
    async with db.session() as s:
        assert (await reports.find_program(s, "spring COHORT")).name == "Spring cohort"
        with pytest.raises(Refusal):  # a name is matched whole, never guessed from a part
            await reports.find_program(s, "spring")
        assert (await reports.find_program(s, None)).name == "Spring cohort"  # the open one
        with pytest.raises(Refusal) as refused:
            await reports.find_program(s, "Autumn")
    assert refused.value.key == "programs.unknown"
    assert "“Autumn”" in refused.value.message and "*Spring cohort*" in refused.value.message


async def test_find_program_without_any_program_refuses(db):
    async with db.session() as s:
        with pytest.raises(Refusal) as refused:
            await reports.find_program(s, None)
    assert refused.value.key == "reports.no_program"


async def test_reports_go_only_to_an_hr_channel(db, pair_id):
    ctx = context(db)
    async with db.session() as s:
        program = await reports.find_program(s, None)
    assert reports.check_report_channel(ctx, program, HR_CHANNEL) == HR_CHANNEL
    with pytest.raises(Refusal) as wrong:
        reports.check_report_channel(ctx, program, "C0GENERAL")
    assert wrong.value.message == text("reports.wrong_channel", channel=HR_CHANNEL)
    with pytest.raises(Refusal) as none:
        reports.check_report_channel(context(db, hr_channel=None), program, HR_CHANNEL)
    assert none.value.key == "reports.no_hr_channel"


async def test_only_the_pair_may_answer_its_checkin(db, pair_id):
    checkin_id = await checkin_id_of(db, pair_id)
    async with db.session() as s:
        scope = await answers.scope_for(s, checkin_id, "U0LEARN01")
        assert (scope.me.slack_user_id, scope.partner.slack_user_id) == ("U0LEARN01", "U0SHARE01")
        refusals = []
        for checkin, user in ((checkin_id, "U0OTHER01"), (checkin_id + 99, "U0LEARN01")):
            with pytest.raises(Refusal) as refused:
                await answers.scope_for(s, checkin, user)
            refusals.append(refused.value.key)
        with pytest.raises(Refusal):
            await answers.scope_for(s, None, "U0LEARN01")
    assert refusals == ["checkin.not_yours", "checkin.gone"]


async def test_an_ended_pair_cannot_answer(db, pair_id):
    checkin_id = await checkin_id_of(db, pair_id)
    async with db.session() as s:
        pair = await s.get(Pair, pair_id)
        assert pair is not None
        pair.status = PairStatus.ENDED
    async with db.session() as s:
        with pytest.raises(Refusal) as refused:
            await answers.scope_for(s, checkin_id, "U0SHARE01")
    assert refused.value.message == text("checkin.gone")


async def test_a_survey_kind_from_a_payload_is_mid_or_end(db):
    assert answers.survey_kind("mid") == "mid" and answers.survey_kind("end") == "end"
    for forged in ("start", None, 3, ["mid"]):
        with pytest.raises(Refusal):
            answers.survey_kind(forged)


async def test_asking_for_a_new_partner_ends_the_pair_once(db, pair_id):
    async with db.session() as s:
        outsider = await pairing.record_fit(
            s, pair_id, "U0OTHER01", works=False, reason="x", now=NOW
        )
        first = await pairing.record_fit(
            s, pair_id, "U0LEARN01", works=False, reason="Too far apart", now=NOW
        )
        again = await pairing.record_fit(s, pair_id, "U0LEARN01", works=True, reason=None, now=NOW)
    assert outsider is None
    assert first is not None and again is not None
    _, me, partner = first
    assert (me.slack_user_id, partner.slack_user_id) == ("U0LEARN01", "U0SHARE01")
    async with db.session() as s:
        pair = await s.get(Pair, pair_id)
        rows = (await s.scalars(select(PairingFeedback))).all()
    assert pair is not None and pair.status == PairStatus.ENDED and pair.end_reason == "repair"
    assert [(r.works, r.private_reason) for r in rows] == [(False, "Too far apart")]


async def test_the_checkin_plan_reads_kicked_off_pairs_and_what_is_posted(db, pair_id):
    async with db.session() as s:
        found = await plan_inputs(s, NOW.date())
    assert [row.pair.id for row in found.pairs] == [pair_id]
    assert found.posted == {(pair_id, "w02")}
    assert found.used_prompts == {} and found.ratings == {}


async def test_a_kicked_off_pair_is_not_pending(db, pair_id):
    async with db.session() as s:
        assert await pending_pairs(s) == []
        assert await pair_to_kick_off(s, pair_id) is None
        pair = await s.get(Pair, pair_id)
        assert pair is not None
        pair.kickoff_ts = None
    async with db.session() as s:
        assert await pending_pairs(s) == [pair_id]
        found = await pair_to_kick_off(s, pair_id)
    assert found is not None and found.sharer.slack_user_id == "U0SHARE01"
