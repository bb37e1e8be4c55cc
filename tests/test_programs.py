"""Programs over a year, end to end through the fake: several programs at once, found by name;
closing (by HR early, or by itself after the last week) with wrap-ups and a final report once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from bot import ids
from bot.models import Checkin, Pair, PairStatus, Program, ProgramStatus
from bot.scheduler.checkins import run_checkins
from bot.scheduler.closing import run_closing
from bot.scheduler.digest import run_digest
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import open_modal, paired_program, texts_of

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

PROGRAM_VALUES = {
    ids.A_PROGRAM_START: "2026-01-12",
    ids.A_PROGRAM_LENGTH: "12",
    ids.A_PROGRAM_CADENCE: "1",
    ids.A_PROGRAM_WEEKDAY: "tue",
    ids.A_PROGRAM_TIME: "10:00",
    ids.A_PROGRAM_CHANNEL: HR_CHANNEL_ID,
}


async def count(bot, model, *where) -> int:
    async with bot.ctx.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def ephemeral_after(bot, user: str, text: str) -> str:
    """Run `/mentoring <text>` and return the ephemeral answer it got."""
    before = len(bot.fake.ephemerals(user))
    await bot.fake.slash_command(user, text=text, channel_id=HR_CHANNEL_ID)
    notes = await bot.fake.wait_for(
        lambda: len(bot.fake.ephemerals(user)) > before and bot.fake.ephemerals(user)
    )
    return texts_of(notes[before:])


async def create_program(bot, command: str, name: str, **values):
    view = await open_modal(bot, HR_ADMIN_ID, command)
    return view, await bot.fake.submit_view(
        HR_ADMIN_ID, view["id"], {**PROGRAM_VALUES, ids.A_PROGRAM_NAME: name, **values}
    )


async def test_several_programs_by_name_never_a_guess(bot):
    view, result = await create_program(bot, "admin program", "Spring 2027")
    assert not result.errors
    assert not view["blocks"][1]["element"].get("initial_value")  # bare: the new-program modal
    view, result = await create_program(
        bot,
        "admin program new",
        "Engineering cohort",
        **{ids.A_PROGRAM_WEEKDAY: "thu", ids.A_PROGRAM_DEPARTMENTS: "Engineering, Data"},
    )
    assert not result.errors
    # A duplicate name (any case) is refused in the modal and nothing is stored.
    _, result = await create_program(bot, "admin program new", "spring 2027")
    assert "already a program called" in result.errors[ids.B_PROGRAM_NAME]
    assert await count(bot, Program) == 2
    async with bot.ctx.db.session() as session:
        eng = await session.scalar(select(Program).where(Program.name == "Engineering cohort"))
        assert eng.eligible_departments == ["Engineering", "Data"]
        assert eng.checkin_weekday == "thu"

    listed = await ephemeral_after(bot, HR_ADMIN_ID, "admin programs")
    assert "*Spring 2027* · enrolling · 0 enrolled · 0 pairs · 12 Jan 2026 to 5 Apr 2026" in listed
    assert "*Engineering cohort* · enrolling" in listed

    ambiguous = await ephemeral_after(bot, HR_ADMIN_ID, "admin match")
    assert "Several programs are open" in ambiguous
    assert "*Spring 2027*" in ambiguous and "*Engineering cohort*" in ambiguous
    assert await ephemeral_after(bot, HR_ADMIN_ID, "admin program") == ambiguous
    unknown = await ephemeral_after(bot, HR_ADMIN_ID, "admin close Autumn 2027")
    assert "There is no program called “Autumn 2027”, so nothing changed" in unknown
    report = await ephemeral_after(bot, HR_ADMIN_ID, "report Autumn")
    assert "no program called “Autumn”" in report

    # A name with spaces (and a number at the end) is the rest of the text.
    edit = await open_modal(bot, HR_ADMIN_ID, "admin program spring 2027")
    assert edit["blocks"][1]["element"]["initial_value"] == "Spring 2027"
    result = await bot.fake.submit_view(
        HR_ADMIN_ID, edit["id"], {ids.A_PROGRAM_NAME: "Engineering cohort"}
    )
    assert "already a program called" in result.errors[ids.B_PROGRAM_NAME]
    result = await bot.fake.submit_view(HR_ADMIN_ID, edit["id"], {ids.A_PROGRAM_LENGTH: "0"})
    assert "end after it starts" in result.errors[ids.B_PROGRAM_LENGTH]
    assert {p.name for p in await programs_of(bot)} == {"Spring 2027", "Engineering cohort"}
    assert bot.fake.validation_errors == []


async def programs_of(bot) -> list[Program]:
    async with bot.ctx.db.session() as session:
        return list((await session.scalars(select(Program))).all())


def wrapups(bot, channel: str) -> list:
    return [m for m in bot.fake.messages(channel) if "has ended: thank you" in texts_of([m])]


def final_reports(bot) -> list:
    return [m for m in bot.fake.messages(HR_CHANNEL_ID) if "Final report" in (m["text"] or "")]


async def test_hr_closes_a_program_early_wrapups_and_final_report_once(bot):
    await paired_program(bot)
    async with bot.ctx.db.session() as session:
        channels = [p.dm_channel_id for p in (await session.scalars(select(Pair))).all()]
    view = await open_modal(bot, HR_ADMIN_ID, "admin close Spring cohort")
    assert "Close *Spring cohort* now" in texts_of([view])
    await bot.fake.submit_view(HR_ADMIN_ID, view["id"])
    await bot.fake.wait_for(lambda: final_reports(bot))
    for channel in channels:
        wrap = await bot.fake.wait_for(lambda ch=channel: wrapups(bot, ch))
        shown = texts_of(wrap)
        assert "Use an AI assistant every week" in shown  # what they set out to do
        assert "Goals reached" in shown and "Invite me to the next round" in shown
    closed_note = texts_of(bot.fake.dm_messages(HR_ADMIN_ID))
    assert "*Spring cohort* is closed. Wrap-ups go to its 2 pairs" in closed_note
    assert await count(bot, Pair, Pair.status == PairStatus.ACTIVE) == 0

    # Later passes post nothing more for it: no second wrap-up or report, no check-ins, no digest.
    bot.clock.set(dt.datetime(2026, 1, 26, 9, 0, tzinfo=dt.UTC))  # a Monday, digest time
    assert (await run_closing(bot.ctx)).sent == 0
    before = len(bot.fake.messages(HR_CHANNEL_ID))
    assert (await run_digest(bot.ctx)).sent == 0
    bot.clock.set(dt.datetime(2026, 1, 27, 10, 0, tzinfo=dt.UTC))
    assert (await run_checkins(bot.ctx)).sent == 0
    assert len(bot.fake.messages(HR_CHANNEL_ID)) == before
    assert all(len(wrapups(bot, ch)) == 1 for ch in channels)
    assert len(final_reports(bot)) == 1
    assert await count(bot, Checkin, Checkin.kind == "checkin") == 0

    # Closing again is refused, and the program stays readable.
    again = await ephemeral_after(bot, HR_ADMIN_ID, "admin close Spring cohort")
    assert "already closed, so nothing changed" in again
    report_count = len(bot.fake.messages(HR_CHANNEL_ID))
    await bot.fake.slash_command(HR_ADMIN_ID, text="report Spring cohort", channel_id=HR_CHANNEL_ID)
    await bot.fake.wait_for(lambda: len(bot.fake.messages(HR_CHANNEL_ID)) > report_count)
    await bot.fake.slash_command(
        HR_ADMIN_ID, text="report csv Spring cohort", channel_id=HR_CHANNEL_ID
    )
    await bot.fake.wait_for(
        lambda: [f for f in bot.fake.files.values() if f["name"].endswith("csv") and f["completed"]]
    )
    assert bot.fake.validation_errors == []


async def test_a_program_closes_by_itself_after_its_end_survey_had_its_time(bot):
    await paired_program(bot)  # 12 weeks from Mon 12 Jan; last check-in Tue 31 Mar
    bot.clock.set(dt.datetime(2026, 4, 6, 23, 0, tzinfo=dt.UTC))
    await run_closing(bot.ctx)
    assert (await programs_of(bot))[0].status == ProgramStatus.OPEN
    bot.clock.set(dt.datetime(2026, 4, 7, 0, 20, tzinfo=dt.UTC))
    counts = await run_closing(bot.ctx)
    assert counts.sent == 3  # two wrap-ups and the final report
    assert (await programs_of(bot))[0].status == ProgramStatus.CLOSED
    assert (await run_closing(bot.ctx)).sent == 0
    assert len(final_reports(bot)) == 1


async def test_two_programs_at_once_each_gets_check_ins_on_its_own_day(bot):
    """A pass posts only for the programs due: Tuesday's for one, Thursday's for the other."""
    from tests.reliability.helpers import make_pairs

    tuesday = await make_pairs(bot, 2)
    async with bot.ctx.db.session() as session:
        first = await session.scalar(select(Program))
        second = Program(
            name="Thursday cohort",
            start_date=first.start_date,
            length_weeks=6,
            cadence_weeks=1,
            checkin_weekday="thu",
            checkin_time=dt.time(10, 0),
        )
        session.add(second)
        await session.flush()
        pair = await session.scalar(select(Pair).where(Pair.id == tuesday[1][0]))
        pair.program_id = second.id  # the second pair belongs to the Thursday program
    bot.clock.set(dt.datetime(2026, 1, 20, 10, 0, tzinfo=dt.UTC))  # Tue of week 2
    assert (await run_checkins(bot.ctx)).sent == 1
    assert len(checkins_in(bot, tuesday[0][3])) == 1 and checkins_in(bot, tuesday[1][3]) == []
    bot.clock.set(dt.datetime(2026, 1, 22, 10, 0, tzinfo=dt.UTC))  # Thu of week 2
    assert (await run_checkins(bot.ctx)).sent == 1
    assert len(checkins_in(bot, tuesday[0][3])) == 1 and len(checkins_in(bot, tuesday[1][3])) == 1


def checkins_in(bot, channel: str) -> list:
    return [m for m in bot.fake.messages(channel) if "check-in" in m["text"]]
