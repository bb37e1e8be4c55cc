"""String columns written from computed or typed values fit their declared lengths (issue 12).

SQLite ignores a column's declared length; PostgreSQL refuses a longer value, and the whole
transaction with it. So each case runs on both databases, and would fail on PostgreSQL without
its fix: either the value fits by construction, or it is refused with a clear error where the
person is (an exit status 2 line for settings and prompt files: see tests/test_config.py and
tests/test_cli.py).
"""

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.models import JobRun, Participant
from bot.prompts import PromptFileError, load_prompts
from bot.scheduler.jobs import manual_slot
from bot.server import run_once
from tests.flows import join, open_program, texts_of
from tests.reliability.helpers import WEEK2_DUE, make_pairs

PERIOD_KEY_LENGTH = JobRun.__table__.c.period_key.type.length
instants = st.datetimes(
    min_value=dt.datetime(1000, 1, 2),
    max_value=dt.datetime(9999, 12, 30),
    timezones=st.timezones(),
)


@given(simulated=instants, real=instants)
def test_a_manual_slot_always_fits_the_job_run_column(simulated, real):
    assert len(manual_slot(simulated, real)) <= PERIOD_KEY_LENGTH


@given(
    simulated=instants,
    real=st.datetimes(max_value=dt.datetime(9000, 1, 1), timezones=st.just(dt.UTC)),
    later=st.timedeltas(min_value=dt.timedelta(microseconds=1), max_value=dt.timedelta(days=999)),
)
def test_two_manual_passes_never_share_a_slot(simulated, real, later):
    """A second `jobs run` at the same `--at` must run, not be skipped as "already taken"."""
    assert manual_slot(simulated, real) != manual_slot(simulated, real + later)


async def test_a_manual_pass_is_recorded_on_both_databases(bot, capsys):
    """`mentorbot jobs run checkins --at ...` exited 1 on PostgreSQL: the slot was 65 characters."""
    await make_pairs(bot, 2)
    assert await run_once(bot.settings, "checkins", WEEK2_DUE) == 0
    assert capsys.readouterr().out.strip() == "checkins: done; sent 2, skipped 0, failed 0"
    assert await run_once(bot.settings, "checkins", WEEK2_DUE) == 0  # a slot of its own
    assert capsys.readouterr().out.strip() == "checkins: done; sent 0, skipped 0, failed 0"
    async with bot.ctx.db.session() as session:
        runs = (await session.scalars(select(JobRun).order_by(JobRun.id))).all()
    assert [(r.job_name, r.status, r.sent) for r in runs] == [
        ("checkins", "done", 2),
        ("checkins", "done", 0),
    ]
    assert all(r.period_key.startswith("manual:20260120T100000.000000Z:") for r in runs)


async def test_a_very_long_slack_name_is_kept_cut_to_the_column(bot):
    """The display name comes from Slack's profile, whose limits are Slack's to change."""
    await open_program(bot)
    name = "Wolfeschlegelsteinhausenbergerdorff " * 6  # 216 characters
    bot.fake.add_user("U0LONGNAME", "long.name", real_name=name.strip(), tz="Europe/London")
    result = await join(bot, "U0LONGNAME")
    assert result.status == 200 and not result.errors
    dm = await bot.fake.wait_for(lambda: bot.fake.dm_messages("U0LONGNAME"))
    assert "Thanks for joining reverse mentoring, Wolfeschlegelsteinhausenbergerdorff!" in (
        texts_of(dm)
    )
    async with bot.ctx.db.session() as session:
        stored = await session.scalar(
            select(Participant).where(Participant.slack_user_id == "U0LONGNAME")
        )
    limit = Participant.__table__.c.display_name.type.length
    assert stored.display_name == name.strip()[:limit]


def test_a_prompt_id_longer_than_its_column_is_refused_naming_the_file(tmp_path):
    long_id = "-".join(["tools"] * 14)  # 83 characters
    (tmp_path / "ours.yaml").write_text(
        f"- id: {long_id}\n"
        "  text: What did you try this week?\n"
        "  theme: new_tools_and_trends\n"
        "  phase: early\n"
        "  addresses: both\n"
        "  tags: []\n"
    )
    with pytest.raises(PromptFileError) as refused:
        load_prompts(tmp_path)
    assert str(refused.value) == (
        f"{tmp_path / 'ours.yaml'}: prompt {long_id!r} (#1): id is 83 characters; the limit is 80"
    )
