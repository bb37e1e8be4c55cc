"""Meeting time end to end through the local Slack fake: the kickoff's proposed slot, confirming
it, the calendar file, moving a week, changing the series, and check-ins following the meeting."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from sqlalchemy import func, select, update

from bot import ids
from bot.models import (
    Checkin,
    CheckinStatus,
    ConfidenceRating,
    Meeting,
    Pair,
    PairStatus,
    SurveyResponse,
)
from bot.scheduler import delivery
from bot.scheduler.checkins import run_checkins
from bot.scheduler.delivery import post_metadata
from bot.scheduler.kickoffs import run_kickoffs
from bot.scheduler.nudges import run_nudges
from bot.services.kickoffs import MEETING_PERIOD
from bot.texts.mrkdwn import unescape
from mentorbot_sandbox import FaultRule
from mentorbot_sandbox.local import HR_ADMIN_ID, HR_CHANNEL_ID
from tests.flows import add_person, approve_latest, join, open_modal, request_match, texts_of
from tests.reliability.helpers import make_pairs

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

ANA, RAJ = "U0ANA0001", "U0RAJ0001"
LINE = re.compile(r"(\w+)s (\d\d:\d\d)-(\d\d:\d\d) for <@(\w+)>(?: and <@(\w+)>)? in ([\w ]+)")
WINDOWS = {"morning": (9, 12), "afternoon": (13, 17), "any": (9, 17)}


async def program(bot, start: str = "2026-01-12", weeks: str = "12") -> None:
    view = await open_modal(bot, HR_ADMIN_ID, "admin program")
    result = await bot.fake.submit_view(
        HR_ADMIN_ID,
        view["id"],
        {
            ids.A_PROGRAM_NAME: "Spring cohort",
            ids.A_PROGRAM_START: start,
            ids.A_PROGRAM_LENGTH: weeks,
            ids.A_PROGRAM_CADENCE: "1",
            ids.A_PROGRAM_WEEKDAY: "tue",
            ids.A_PROGRAM_TIME: "10:00",
            ids.A_PROGRAM_CHANNEL: HR_CHANNEL_ID,
        },
    )
    assert not result.errors


async def pair_of(
    bot,
    *,
    sharer_tz: str = "Europe/London",
    learner_tz: str = "Asia/Kolkata",
    sharer_days=("tue", "wed", "thu"),
    learner_days=("tue", "thu"),
    sharer_time: str = "morning",
    learner_time: str = "afternoon",
    start: str = "2026-01-12",
    weeks: str = "12",
) -> str:
    """Ana (sharer) and Raj (learner) joined, matched and kicked off; returns their group DM."""
    await program(bot, start, weeks)
    add_person(bot, ANA, "Ana Silva", tz=sharer_tz)
    add_person(bot, RAJ, "Raj Mehta", tz=learner_tz)
    await join(
        bot,
        ANA,
        **{
            ids.A_TIMEZONE: sharer_tz,
            ids.A_DAYS: list(sharer_days),
            ids.A_TIME_OF_DAY: sharer_time,
        },
    )
    await join(
        bot,
        RAJ,
        **{
            ids.A_ROLE: "learn",
            ids.A_EXPERIENCE: "21+",
            ids.A_DEPARTMENT: "Finance",
            ids.A_TIMEZONE: learner_tz,
            ids.A_SHARE_TOPICS: ["strategic planning"],
            ids.A_LEARN_TOPICS: ["generative AI tools"],
            ids.A_DAYS: list(learner_days),
            ids.A_TIME_OF_DAY: learner_time,
        },
    )
    await request_match(bot)
    await approve_latest(bot)
    channel = bot.fake.mpim_for(ANA, RAJ)
    assert channel
    return channel


def people_times(message_text: str) -> dict[str, tuple[str, dt.time, dt.time, str]]:
    """{user: (day, start, end, city)} from a 'Tuesdays 10:00-10:30 for <@A> in London, ...'."""
    found = {}
    day = None
    for part in message_text.split(", "):
        match = LINE.search(part)
        if match:
            day, start, end, user, other, city = match.groups()
            for u in filter(None, (user, other)):
                found[u] = (day, dt.time.fromisoformat(start), dt.time.fromisoformat(end), city)
            continue
        same = re.search(r"(\d\d:\d\d)-(\d\d:\d\d) for <@(\w+)> in ([\w ]+)", part)
        if same and day:
            start, end, user, city = same.groups()
            found[user] = (day, dt.time.fromisoformat(start), dt.time.fromisoformat(end), city)
    return found


def proposal(bot, channel: str) -> dict:
    return [m for m in bot.fake.messages(channel) if "Works for us" in texts_of([m])][-1]


def uploads(bot, channel: str) -> list[icalendar.Calendar]:
    files = [f for m in bot.fake.messages(channel) for f in m.get("files") or []]
    return [icalendar.Calendar.from_ical(bot.fake.files[f["id"]]["content"]) for f in files]


def expand(calendar: icalendar.Calendar) -> tuple[icalendar.Event, list[dt.datetime]]:
    """The series' master event and the start of every meeting a calendar application shows
    for it (RRULE, EXDATE and RECURRENCE-ID overrides applied by recurring-ical-events)."""
    master = next(e for e in calendar.walk("VEVENT") if "RRULE" in e)
    shown = recurring_ical_events.of(calendar).between(
        dt.datetime(2025, 1, 1, tzinfo=dt.UTC), dt.datetime(2028, 1, 1, tzinfo=dt.UTC)
    )
    return master, sorted(e["DTSTART"].dt for e in shown)


def calendar_links(bot, channel: str) -> dict[str, str]:
    """Link text -> URL of the latest "Add to ..." links, read from the posted mrkdwn as Slack
    reads it: `<url|text>` with `&`, `<` and `>` written as entities inside the URL."""
    message = next(
        m for m in reversed(bot.fake.messages(channel)) if "Add to Google" in texts_of([m])
    )
    mrkdwn = next(
        e["text"]
        for block in message["blocks"]
        if block["type"] == "context"
        for e in block["elements"]
        if "Add to Google" in e["text"]
    )
    found = dict(
        (label, unescape(url)) for url, label in re.findall(r"<(https://[^|>]+)\|([^>]+)>", mrkdwn)
    )
    for url in re.findall(r"<(https://[^|>]+)\|", mrkdwn):
        assert re.fullmatch(r"([^&<>]|&amp;|&lt;|&gt;)*", url), url  # no bare "&" in mrkdwn
        assert "&amp;" in url
    assert set(found) == {"Add to Google Calendar", "Add to Outlook"}
    return found


def inside(moment: dt.datetime, minutes: int, tz: str, window=(9, 17)) -> bool:
    local = moment.astimezone(ZoneInfo(tz))
    end = local + dt.timedelta(minutes=minutes)
    return (
        local.weekday() < 5
        and dt.time(window[0]) <= local.time()
        and end.time() <= dt.time(window[1])
        and end.date() == local.date()
    )


async def confirm(bot, channel: str, user: str = RAJ) -> None:
    before = len(uploads(bot, channel))
    await bot.fake.click(
        user, ids.MEETING_CONFIRM, channel=channel, ts=proposal(bot, channel)["ts"]
    )
    await bot.fake.wait_for(lambda: len(uploads(bot, channel)) > before)


async def test_kickoff_offers_a_slot_inside_both_working_days_and_stated_days(bot):
    channel = await pair_of(bot)
    shown = texts_of([proposal(bot, channel)])
    times = people_times(shown)
    assert set(times) == {ANA, RAJ}, shown
    ana_day, ana_start, ana_end, ana_city = times[ANA]
    raj_day, raj_start, raj_end, raj_city = times[RAJ]
    assert (ana_city, raj_city) == ("London", "Kolkata")
    assert ana_day in ("Tuesday", "Thursday") and raj_day == ana_day  # days both offered
    assert dt.time(9) <= ana_start and ana_end <= dt.time(12)  # Ana's mornings
    assert dt.time(13) <= raj_start and raj_end <= dt.time(17)  # Raj's afternoons
    assert "Works for us" in shown and "Suggest another time" in shown
    assert bot.fake.validation_errors == []


async def test_confirming_uploads_one_ics_for_the_weeks_left_inside_both_working_hours(bot):
    channel = await pair_of(bot)
    await confirm(bot, channel, RAJ)
    [calendar] = uploads(bot, channel)
    told = texts_of(bot.fake.messages(channel)[-2:])
    assert f"<@{RAJ}> confirmed" in told and f"<@{ANA}>" in told  # the other is told
    assert "Add to Google Calendar" in told and "Add to Outlook" in told
    master, starts = expand(calendar)
    links = calendar_links(bot, channel)
    google = parse_qs(urlsplit(links["Add to Google Calendar"]).query)
    first_local = starts[0].astimezone(ZoneInfo(google["ctz"][0]))
    assert google["action"] == ["TEMPLATE"] and google["text"] == [str(master["SUMMARY"])]
    assert google["dates"][0].startswith(f"{first_local:%Y%m%dT%H%M%S}/")
    assert google["recur"] == ["RRULE:FREQ=WEEKLY;COUNT=12;INTERVAL=1"]
    assert google["details"] == [str(master["DESCRIPTION"])]
    outlook = parse_qs(urlsplit(links["Add to Outlook"]).query)
    assert outlook["startdt"] == [f"{starts[0].astimezone(dt.UTC):%Y-%m-%dT%H:%M:%SZ}"]
    assert "open the .ics file for the series" in told  # Outlook's link is one meeting
    assert len(calendar.walk("VEVENT")) == 1
    assert len(starts) == 12  # the program's twelve weeks are all ahead
    minutes = int((master["DTEND"].dt - master["DTSTART"].dt).total_seconds() // 60)
    assert minutes == 30
    for start in starts:
        assert inside(start, minutes, "Europe/London", WINDOWS["morning"])
        assert inside(start, minutes, "Asia/Kolkata", WINDOWS["afternoon"])
    assert "Spring cohort" in str(master["SUMMARY"]) and master["SEQUENCE"] == 0
    assert calendar.walk("VTIMEZONE")  # the zone travels with the file
    # The home tab shows the slot in each person's own time and the next meeting.
    await bot.fake.open_home(ANA)
    home = await bot.fake.wait_for(
        lambda: (
            "Your regular meeting" in texts_of([bot.fake.home(ANA) or {}]) and bot.fake.home(ANA)
        )
    )
    first = starts[0].astimezone(ZoneInfo("Europe/London"))
    assert f"{first:%H:%M}" in texts_of([home]) and "(London)" in texts_of([home])
    assert f"{first:%a %-d %b}" in texts_of([home])
    assert bot.fake.validation_errors == []


async def test_both_clicking_works_for_us_at_once_confirms_once(bot):
    channel = await pair_of(bot)
    ts = proposal(bot, channel)["ts"]
    await asyncio.gather(
        bot.fake.click(ANA, ids.MEETING_CONFIRM, channel=channel, ts=ts),
        bot.fake.click(RAJ, ids.MEETING_CONFIRM, channel=channel, ts=ts),
    )
    await bot.fake.wait_for(lambda: uploads(bot, channel))
    await bot.fake.wait_for(
        lambda: any(
            "already confirmed" in e["text"]
            for user in (ANA, RAJ)
            for e in bot.fake.ephemerals(user)
        )
    )
    await asyncio.sleep(0.2)
    assert len(uploads(bot, channel)) == 1
    confirmations = [m for m in bot.fake.messages(channel) if "confirmed your regular" in m["text"]]
    assert len(confirmations) == 1


async def test_suggest_another_time_then_a_stale_button_is_refused_kindly(bot):
    channel = await pair_of(bot)
    kickoff = proposal(bot, channel)
    await bot.fake.click(ANA, ids.MEETING_SUGGEST, channel=channel, ts=kickoff["ts"])
    view = await bot.fake.wait_for(
        lambda: next(
            (v for v in bot.fake.open_views(ANA) if v["callback_id"] == ids.MEETING_PICK_CALLBACK),
            None,
        )
    )
    radio = next(b for b in view["blocks"] if b.get("block_id") == ids.B_MEETING_OPTION)
    alternatives = [o for o in radio["element"]["options"] if o["value"] != ids.MEETING_OTHER]
    assert len(alternatives) == 3
    result = await bot.fake.submit_view(
        ANA, view["id"], {ids.A_MEETING_OPTION: alternatives[0]["value"]}
    )
    assert not result.errors
    suggestion = await bot.fake.wait_for(
        lambda: proposal(bot, channel)["ts"] != kickoff["ts"] and proposal(bot, channel)
    )
    assert f"<@{ANA}> suggests" in texts_of([suggestion])
    # The kickoff's button now offers a time that is no longer proposed.
    await bot.fake.click(RAJ, ids.MEETING_CONFIRM, channel=channel, ts=kickoff["ts"])
    await bot.fake.wait_for(
        lambda: any("earlier version" in e["text"] for e in bot.fake.ephemerals(RAJ))
    )
    assert uploads(bot, channel) == []
    await confirm(bot, channel, RAJ)  # the new one confirms
    _, starts = expand(uploads(bot, channel)[0])
    shown = people_times(texts_of([suggestion]))
    assert f"{starts[0].astimezone(ZoneInfo('Europe/London')):%H:%M}" == f"{shown[ANA][1]:%H:%M}"


async def test_a_free_pick_outside_working_hours_asks_for_confirmation(bot):
    channel = await pair_of(bot)
    await bot.fake.click(RAJ, ids.MEETING_SUGGEST, channel=channel, ts=proposal(bot, channel)["ts"])
    view = await bot.fake.wait_for(
        lambda: next(
            (v for v in bot.fake.open_views(RAJ) if v["callback_id"] == ids.MEETING_PICK_CALLBACK),
            None,
        )
    )
    empty = await bot.fake.submit_view(RAJ, view["id"], {})
    assert ids.B_MEETING_OPTION in (empty.errors or {})
    no_time = await bot.fake.submit_view(
        RAJ, view["id"], {ids.A_MEETING_OPTION: ids.MEETING_OTHER, ids.A_MEETING_DAY: "wed"}
    )
    assert set(no_time.errors or {}) == {ids.B_MEETING_TIME}
    # 19:00 in Kolkata is 13:30 in London: fine for Ana, after Raj's working day.
    result = await bot.fake.submit_view(
        RAJ,
        view["id"],
        {
            ids.A_MEETING_OPTION: ids.MEETING_OTHER,
            ids.A_MEETING_DAY: "wed",
            ids.A_MEETING_TIME: "19:00",
        },
    )
    assert not result.errors
    asked = await bot.fake.wait_for(
        lambda: next(
            (
                v
                for v in bot.fake.open_views(RAJ)
                if v["callback_id"] == ids.MEETING_ANYWAY_CALLBACK
            ),
            None,
        )
    )
    assert f"outside <@{RAJ}>'s working hours" in texts_of([asked])
    assert not [m for m in bot.fake.messages(channel) if "suggests" in m["text"]]
    await bot.fake.submit_view(RAJ, asked["id"], {})
    suggestion = await bot.fake.wait_for(
        lambda: next((m for m in bot.fake.messages(channel) if "suggests" in texts_of([m])), None)
    )
    times = people_times(texts_of([suggestion]))
    assert times[RAJ][:3] == ("Wednesday", dt.time(19), dt.time(19, 30))
    assert times[ANA][1:3] == (dt.time(13, 30), dt.time(14))


async def test_move_one_week_then_change_the_series_same_uid_higher_sequence(bot):
    channel = await pair_of(bot)
    await confirm(bot, channel, ANA)
    [first] = uploads(bot, channel)
    master, starts = expand(first)
    uid = str(master["UID"])

    bot.clock.set(dt.datetime(2026, 1, 12, 8, tzinfo=dt.UTC))  # Monday of week 1
    await bot.fake.click(RAJ, ids.MEETING_MOVE, channel=channel)
    view = await bot.fake.wait_for(
        lambda: next(
            (v for v in bot.fake.open_views(RAJ) if v["callback_id"] == ids.MEETING_PICK_CALLBACK),
            None,
        )
    )
    result = await bot.fake.submit_view(
        RAJ, view["id"], {ids.A_MEETING_DAY: "thu", ids.A_MEETING_TIME: "15:00"}
    )
    assert not result.errors
    moved = await bot.fake.wait_for(
        lambda: len(uploads(bot, channel)) == 2 and uploads(bot, channel)[1]
    )
    events = moved.walk("VEVENT")
    override = next(e for e in events if "RECURRENCE-ID" in e)
    assert {str(e["UID"]) for e in events} == {uid}
    assert override["RECURRENCE-ID"].dt == starts[0]  # this week's meeting, and only it
    assert override["DTSTART"].dt.astimezone(ZoneInfo("Asia/Kolkata")).time() == dt.time(15)
    assert all(e["SEQUENCE"] == 1 for e in events)
    _, shown = expand(moved)  # what a calendar shows: the moved meeting instead of the first
    assert len(shown) == 12 and starts[0] not in shown
    assert override["DTSTART"].dt in shown and set(starts[1:]) <= set(shown)
    assert f"<@{RAJ}> moved this week's meeting" in texts_of(bot.fake.messages(channel)[-2:])

    await bot.fake.click(ANA, ids.MEETING_CHANGE, channel=channel)
    view = await bot.fake.wait_for(
        lambda: next(
            (v for v in bot.fake.open_views(ANA) if v["callback_id"] == ids.MEETING_PICK_CALLBACK),
            None,
        )
    )
    radio = next(b for b in view["blocks"] if b.get("block_id") == ids.B_MEETING_OPTION)
    choice = radio["element"]["options"][0]["value"]
    result = await bot.fake.submit_view(ANA, view["id"], {ids.A_MEETING_OPTION: choice})
    assert not result.errors
    changed = await bot.fake.wait_for(
        lambda: len(uploads(bot, channel)) == 3 and uploads(bot, channel)[2]
    )
    master, new_starts = expand(changed)
    assert str(master["UID"]) == uid and master["SEQUENCE"] == 2
    assert new_starts[0] != starts[0]
    assert len(changed.walk("VEVENT")) == 1  # the move belonged to the old series
    assert f"<@{ANA}> changed your regular meeting" in texts_of(bot.fake.messages(channel)[-2:])
    # The old buttons are stale now.
    await bot.fake.click(
        RAJ, ids.MEETING_MOVE, channel=channel, ts=bot.fake.messages(channel)[-4]["ts"]
    )
    await bot.fake.wait_for(
        lambda: any("earlier version" in e["text"] for e in bot.fake.ephemerals(RAJ))
    )
    assert bot.fake.validation_errors == []


async def test_a_pair_across_a_dst_change_keeps_its_local_time(bot):
    # New York changes its clocks on 8 March 2026 and London on 29 March: the series keeps the
    # learner's London time, and New York's meeting stays inside its working day throughout.
    channel = await pair_of(
        bot,
        sharer_tz="America/New_York",
        learner_tz="Europe/London",
        sharer_days=("wed",),
        learner_days=("wed",),
        sharer_time="morning",
        learner_time="afternoon",
        start="2026-02-23",
        weeks="8",
    )
    await confirm(bot, channel)
    _, starts = expand(uploads(bot, channel)[0])
    assert len(starts) == 8
    london = {s.astimezone(ZoneInfo("Europe/London")).time() for s in starts}
    assert len(london) == 1
    assert len({s.astimezone(dt.UTC).time() for s in starts}) == 2  # the instant moved
    for start in starts:
        assert inside(start, 30, "America/New_York", WINDOWS["morning"])
        assert inside(start, 30, "Europe/London", WINDOWS["afternoon"])


async def test_the_weekly_checkin_arrives_after_the_meeting(bot):
    channel = await pair_of(bot, learner_tz="Europe/London", sharer_time="afternoon")
    await confirm(bot, channel)
    _, starts = expand(uploads(bot, channel)[0])
    meeting_end = starts[1].astimezone(dt.UTC) + dt.timedelta(minutes=30)  # week 2
    assert meeting_end == dt.datetime(2026, 1, 20, 13, 30, tzinfo=dt.UTC)
    # The program's own time (Tuesday 10:00) passes before the meeting: nothing yet.
    bot.clock.set(dt.datetime(2026, 1, 20, 10, 5, tzinfo=dt.UTC))
    assert (await run_checkins(bot.ctx)).sent == 0
    bot.clock.set(meeting_end)
    assert (await run_checkins(bot.ctx)).sent == 0
    bot.clock.set(meeting_end + dt.timedelta(minutes=15))
    assert (await run_checkins(bot.ctx)).sent == 1
    async with bot.ctx.db.session() as session:
        checkin = await session.scalar(select(Checkin).where(Checkin.kind == "checkin"))
    assert checkin.due_at == meeting_end + dt.timedelta(minutes=15)
    assert inside(checkin.due_at, 0, "Europe/London")
    assert "Week 2 check-in" in texts_of(bot.fake.messages(channel)[-1:])


async def test_we_cant_meet_this_week_cancels_it_without_a_checkin(bot):
    channel = await pair_of(bot)
    await confirm(bot, channel)
    _, starts = expand(uploads(bot, channel)[0])
    bot.clock.set(dt.datetime(2026, 1, 19, 8, tzinfo=dt.UTC))  # Monday of week 2
    await bot.fake.click(ANA, ids.MEETING_CANCEL_WEEK, channel=channel)
    cancelled = await bot.fake.wait_for(
        lambda: len(uploads(bot, channel)) == 2 and uploads(bot, channel)[1]
    )
    master, left = expand(cancelled)
    assert starts[1] not in left and len(left) == 11 and master["SEQUENCE"] == 1
    assert "doesn't count as a missed week" in texts_of(bot.fake.messages(channel)[-2:])
    for day in range(7):  # the whole of week 2 passes without a check-in
        bot.clock.set(dt.datetime(2026, 1, 19, 12, tzinfo=dt.UTC) + dt.timedelta(days=day))
        assert (await run_checkins(bot.ctx)).sent == 0
    # Its stored row is never taken, even by a claim that skips the plan, lease over or not.
    async with bot.ctx.db.session() as session:
        pair_id = await session.scalar(select(Pair.id))
    for _ in range(2):
        bot.clock.set(bot.clock.now() + delivery.LEASE * 2)
        assert not await delivery.claim(
            bot.ctx, pair_id=pair_id, period_key="w02", week=2, kind="checkin", due_at=starts[1]
        )


async def test_a_week_cancelled_while_its_checkin_is_being_posted_stays_cancelled(bot):
    channel = await pair_of(bot, sharer_days=("thu",), learner_days=("thu",))
    bot.clock.set(dt.datetime(2026, 1, 20, 10, 5, tzinfo=dt.UTC))  # week 2's program time
    async with bot.ctx.db.session() as session:
        pair_id = await session.scalar(select(Pair.id))
    # A pass has claimed week 2's check-in and is about to post it ...
    claimed = await delivery.claim(
        bot.ctx, pair_id=pair_id, period_key="w02", week=2, kind="checkin", due_at=bot.clock.now()
    )
    assert claimed is not None
    # ... when the pair confirms Thursdays and cancels this week's meeting.
    await confirm(bot, channel)
    await bot.fake.click(ANA, ids.MEETING_CANCEL_WEEK, channel=channel)
    await bot.fake.wait_for(lambda: len(uploads(bot, channel)) == 2)
    ts = await delivery.deliver(
        bot.ctx, claimed, channel=channel, text="Week 2 check-in", blocks=[]
    )
    message = next(m for m in bot.fake.messages(channel) if m["ts"] == ts)
    assert "You cancelled week 2's meeting" in texts_of([message])  # redrawn once it landed
    async with bot.ctx.db.session() as session:
        row = await session.get(Checkin, claimed.checkin_id)
    assert (row.status, row.message_ts) == (CheckinStatus.CANCELLED, None)
    bot.clock.set(dt.datetime(2026, 1, 22, 16, tzinfo=dt.UTC))  # after Thursday's slot
    assert (await run_checkins(bot.ctx)).sent == 0


async def test_confirming_mid_program_invites_to_the_weeks_left_only(bot):
    channel = await pair_of(bot)
    bot.clock.set(dt.datetime(2026, 1, 28, 12, tzinfo=dt.UTC))  # Wednesday of week 3
    await confirm(bot, channel)
    _, starts = expand(uploads(bot, channel)[0])
    # Tuesday's meeting of week 3 has passed: weeks 4 to 12 are left.
    assert len(starts) == 9
    assert starts[0].astimezone(dt.UTC).date() == dt.date(2026, 2, 3)


async def leave_program(bot, user: str) -> None:
    """`/mentoring leave`, confirmed, and the bot has ended the pair (it works after the ack)."""
    leave = await open_modal(bot, user, "leave")
    assert not (await bot.fake.submit_view(user, leave["id"], {})).errors

    async def ended() -> bool:
        async with bot.ctx.db.session() as session:
            return await session.scalar(select(Pair.status)) == PairStatus.ENDED

    await bot.fake.wait_for(ended)


async def test_after_the_pair_ends_its_meeting_buttons_are_refused_kindly(bot):
    channel = await pair_of(bot)
    await leave_program(bot, RAJ)
    await bot.fake.click(ANA, ids.MEETING_CONFIRM, channel=channel, ts=proposal(bot, channel)["ts"])
    await bot.fake.wait_for(
        lambda: any("pair has ended" in e["text"] for e in bot.fake.ephemerals(ANA))
    )
    assert uploads(bot, channel) == []  # nothing was confirmed, so no invite to cancel


async def test_when_a_confirmed_pair_ends_the_series_is_cancelled_in_calendars(bot):
    channel = await pair_of(bot)
    await confirm(bot, channel)
    [invite] = uploads(bot, channel)
    await leave_program(bot, RAJ)
    cancelled = await bot.fake.wait_for(
        lambda: len(uploads(bot, channel)) == 2 and uploads(bot, channel)[1]
    )
    [before], [after] = invite.walk("VEVENT"), cancelled.walk("VEVENT")
    assert str(after["UID"]) == str(before["UID"]) and after["SEQUENCE"] > before["SEQUENCE"]
    assert str(after["STATUS"]) == "CANCELLED"
    await bot.fake.click(ANA, ids.MEETING_MOVE, channel=channel)
    await bot.fake.wait_for(
        lambda: any("pair has ended" in e["text"] for e in bot.fake.ephemerals(ANA))
    )


async def confirm_then_cancel_this_week(bot, channel: str, posted: dict, *, week: int) -> dict:
    """Confirm the proposed time, then "We can't meet this week": the posted check-in as it is
    redrawn (the cancellation's calendar update is the channel's second upload)."""
    await confirm(bot, channel)
    await bot.fake.click(RAJ, ids.MEETING_CANCEL_WEEK, channel=channel)
    await bot.fake.wait_for(lambda: len(uploads(bot, channel)) == 2)
    return await bot.fake.wait_for(
        lambda: next(
            (
                m
                for m in bot.fake.messages(channel)
                if m["ts"] == posted["ts"] and f"cancelled week {week}" in texts_of([m])
            ),
            None,
        )
    )


async def test_a_checkin_posted_before_a_cancelled_meeting_is_resolved_and_counted_apart(bot):
    channel = await pair_of(bot, sharer_days=("thu",), learner_days=("thu",))
    # Week 2's check-in goes out at the program's time (Tuesday) while no time is confirmed.
    bot.clock.set(dt.datetime(2026, 1, 20, 10, 5, tzinfo=dt.UTC))
    assert (await run_checkins(bot.ctx)).sent == 1
    posted = bot.fake.messages(channel)[-1]
    assert "Week 2 check-in" in texts_of([posted])
    bot.clock.set(dt.datetime(2026, 1, 21, 9, tzinfo=dt.UTC))  # Wednesday: Thursday is ahead
    redrawn = await confirm_then_cancel_this_week(bot, channel, posted, week=2)
    assert "doesn't count as a missed week" in texts_of([redrawn])
    assert not [b for b in redrawn["blocks"] if b["type"] == "actions"]  # nothing to answer
    async with bot.ctx.db.session() as session:
        [row] = (await session.scalars(select(Checkin).where(Checkin.kind == "checkin"))).all()
    assert (row.status, row.message_ts, row.outcome) == (CheckinStatus.CANCELLED, None, 0)
    # After Thursday's (cancelled) meeting: no new check-in, and no reminder for week 2.
    bot.clock.set(dt.datetime(2026, 1, 23, 10, tzinfo=dt.UTC))
    assert (await run_checkins(bot.ctx)).sent == 0
    assert (await run_nudges(bot.ctx)).sent == 0
    # HR: a week cancelled ahead, never a missed check-in (one pair is too few to show it).
    await bot.fake.slash_command(HR_ADMIN_ID, text="report", channel_id=HR_CHANNEL_ID)
    report = await bot.fake.wait_for(
        lambda: next(
            (m for m in bot.fake.messages(HR_CHANNEL_ID) if "Mentoring report" in texts_of([m])),
            None,
        )
    )
    shown = texts_of([report])
    assert "Weeks cancelled ahead" in shown and "hidden (" in shown
    assert "never as missed" in shown  # what the meeting rate counts
    await bot.fake.slash_command(HR_ADMIN_ID, text="report csv", channel_id=HR_CHANNEL_ID)
    files = await bot.fake.wait_for(
        lambda: [
            bot.fake.files[f["id"]]
            for m in bot.fake.messages(HR_CHANNEL_ID)
            for f in m.get("files") or []
            if f["name"].endswith(".csv")
        ]
    )
    rows = list(csv.DictReader(io.StringIO(files[0]["content"].decode())))
    assert [(r["week"], r["outcome"], r["met"]) for r in rows] == [
        ("2", "cancelled_ahead", "false")
    ]
    assert bot.fake.validation_errors == []


async def test_pairs_kicked_off_before_meeting_times_get_one_proposal(bot):
    pairs = await make_pairs(bot, 2)  # running pairs whose kickoff had no meeting time
    (first_pair, *_, first_channel), (_, *_, second_channel) = pairs
    # A pass claimed the first pair's proposal, posted it, and died before recording it.
    async with bot.ctx.db.session() as session:
        row = Checkin(
            pair_id=first_pair,
            program_id=(await session.get(Pair, first_pair)).program_id,
            period_key=MEETING_PERIOD,
            week=1,
            kind="meeting",
            due_at=bot.clock.now(),
            claimed_at=bot.clock.now(),
            attempts=1,
            status=CheckinStatus.CLAIMED,
        )
        session.add(row)
        await session.flush()
        row_id = row.id
    await bot.ctx.client.chat_postMessage(
        channel=first_channel, text="Works for us", metadata=post_metadata(row_id)
    )
    counts = await run_kickoffs(bot.ctx)
    assert (counts.sent, counts.skipped) == (1, 1)  # the first pair's claim is still leased
    proposed = texts_of(bot.fake.messages(second_channel))
    assert "regular meeting time" in proposed and "Works for us" in proposed
    assert "Suggest another time" in proposed
    bot.clock.set(bot.clock.now() + dt.timedelta(minutes=5))  # the dead pass's lease is over
    counts = await run_kickoffs(bot.ctx)
    assert (counts.sent, counts.failed) == (1, 0)  # found in the channel: recorded, not resent
    for _ in range(2):  # reruns post nothing
        assert (await run_kickoffs(bot.ctx)).sent == 0
    assert len(bot.fake.messages(first_channel)) == 1
    assert len(bot.fake.messages(second_channel)) == 1
    async with bot.ctx.db.session() as session:
        assert await session.scalar(select(func.count()).select_from(Meeting)) == 2
    assert bot.fake.validation_errors == []


def end_survey_messages(bot, channel: str) -> list[dict]:
    """Messages in the pair's DM offering the end survey on their own (no check-in with them)."""
    return [
        m for m in bot.fake.messages(channel) if m["text"] == "Your end-of-program survey is here."
    ]


def has_action(message: dict, action_id: str) -> bool:
    return any(
        e.get("action_id") == action_id
        for block in message.get("blocks") or []
        for e in block.get("elements") or []
    )


async def count_end_survey_rows(bot) -> int:
    async with bot.ctx.db.session() as session:
        return await session.scalar(
            select(func.count()).select_from(Checkin).where(Checkin.period_key == "end-survey")
        )


async def rate_confidence_before(bot, user: str) -> None:
    """The sign-up's confidence question, answered, so the end survey asks "And now"."""
    ask = await bot.fake.wait_for(
        lambda: [m for m in bot.fake.dm_messages(user) if "how confident" in m["text"]]
    )
    await bot.fake.click(user, ids.CONFIDENCE_OPEN, channel=ask[0]["channel"], ts=ask[0]["ts"])
    questions = (await bot.fake.wait_for(lambda: bot.fake.open_views(user)))[-1]
    result = await bot.fake.submit_view(
        user, questions["id"], {(ids.confidence_block(0), ids.A_CONFIDENCE): "2"}
    )
    assert not result.errors
    await bot.fake.wait_for(lambda: confidence_noted(bot, user) == 1)  # stored after the ack


def confidence_noted(bot, user: str) -> int:
    """How many confidence answers the bot has thanked the person for (each once stored)."""
    return sum("Thanks, noted" in m["text"] for m in bot.fake.dm_messages(user))


async def answer_end_survey(bot, user: str, channel: str, ts: str) -> None:
    """Click the survey button of that message, answer, and rate confidence again."""
    before = len(bot.fake.open_views(user))
    await bot.fake.click(user, ids.CHECKIN_SURVEY, channel=channel, ts=ts)
    await bot.fake.wait_for(lambda: len(bot.fake.open_views(user)) > before)
    survey = bot.fake.open_views(user)[-1]
    assert survey["callback_id"] == ids.SURVEY_CALLBACK
    assert "End-of-program survey" in texts_of([survey])
    result = await bot.fake.submit_view(
        user, survey["id"], {ids.A_SV_RECOMMEND: "8", ids.A_SV_ATTAINMENT: "4"}
    )
    assert result.view is not None and "And now" in texts_of([result.view])
    noted = confidence_noted(bot, user)
    result = await bot.fake.submit_view(
        user, result.view["id"], {(ids.confidence_block(0), ids.A_CONFIDENCE): "4"}
    )
    assert not result.errors
    await bot.fake.wait_for(lambda: confidence_noted(bot, user) == noted + 1)
    async with bot.ctx.db.session() as session:
        answered = (await session.scalars(select(SurveyResponse))).all()
        ratings = (await session.scalars(select(ConfidenceRating))).all()
    assert [(s.kind, s.recommend, s.goal_attainment) for s in answered] == [("end", 8, 4)]
    assert sorted((r.phase, r.rating) for r in ratings) == [("after", 4), ("before", 2)]


async def test_cancelling_the_last_week_after_the_previous_checkin_offers_the_end_survey_once(
    bot,
):
    channel = await pair_of(bot, weeks="4")  # check-ins in weeks 2, 3 and 4 (the end survey)
    await rate_confidence_before(bot, RAJ)
    await confirm(bot, channel)
    # Week 2 is not the last: cancelling it offers no survey.
    bot.clock.set(dt.datetime(2026, 1, 19, 8, tzinfo=dt.UTC))
    await bot.fake.click(ANA, ids.MEETING_CANCEL_WEEK, channel=channel)
    await bot.fake.wait_for(lambda: len(uploads(bot, channel)) == 2)
    # Week 3's check-in goes out after its meeting, without the end survey (week 4 is ahead).
    bot.clock.set(dt.datetime(2026, 1, 28, 12, tzinfo=dt.UTC))
    assert (await run_checkins(bot.ctx)).sent == 1
    week3 = bot.fake.messages(channel)[-1]
    assert "Week 3 check-in" in texts_of([week3]) and "end-of-program" not in texts_of([week3])
    assert end_survey_messages(bot, channel) == [] and await count_end_survey_rows(bot) == 0
    # Monday of week 4, the last: the pair cancels it, and gets the end survey on its own.
    bot.clock.set(dt.datetime(2026, 2, 2, 8, tzinfo=dt.UTC))
    cancel = [m for m in bot.fake.messages(channel) if has_action(m, ids.MEETING_CANCEL_WEEK)][-1]
    await bot.fake.click(ANA, ids.MEETING_CANCEL_WEEK, channel=channel, ts=cancel["ts"])
    [offer] = await bot.fake.wait_for(lambda: end_survey_messages(bot, channel))
    # The same click again is told it is done, and posts nothing more; nor does any pass.
    told = len(bot.fake.ephemerals(ANA))
    await bot.fake.click(ANA, ids.MEETING_CANCEL_WEEK, channel=channel, ts=cancel["ts"])
    await bot.fake.wait_for(lambda: len(bot.fake.ephemerals(ANA)) > told)
    for day in range(7):
        bot.clock.set(dt.datetime(2026, 2, 2, 12, tzinfo=dt.UTC) + dt.timedelta(days=day))
        assert (await run_checkins(bot.ctx)).sent == 0
    assert end_survey_messages(bot, channel) == [offer] and await count_end_survey_rows(bot) == 1
    # Its button opens the end survey, still before the program closes; the answer is stored.
    await answer_end_survey(bot, RAJ, channel, offer["ts"])
    assert bot.fake.validation_errors == []


async def test_an_end_survey_the_cancelling_click_could_not_post_is_posted_once_by_a_pass(bot):
    channel = await pair_of(bot, weeks="3")
    await confirm(bot, channel)
    bot.clock.set(dt.datetime(2026, 1, 21, 12, tzinfo=dt.UTC))  # after week 2's meeting
    assert (await run_checkins(bot.ctx)).sent == 1
    # Slack fails every try of the end survey's post from the cancelling click.
    bot.fake.faults.add(
        FaultRule(
            method="chat.postMessage",
            kind="http_503",
            count=10,
            when=lambda args: "survey" in str(args.get("text")),
        )
    )
    bot.clock.set(dt.datetime(2026, 1, 26, 8, tzinfo=dt.UTC))  # Monday of week 3, the last
    await bot.fake.click(ANA, ids.MEETING_CANCEL_WEEK, channel=channel)
    await bot.fake.wait_for(lambda: len(uploads(bot, channel)) == 2)

    async def given_up() -> bool:  # stored with the cancellation, released when Slack refused
        async with bot.ctx.db.session() as session:
            row = await session.scalar(select(Checkin).where(Checkin.period_key == "end-survey"))
        return row is not None and row.status == CheckinStatus.FAILED

    await bot.fake.wait_for(given_up)
    assert end_survey_messages(bot, channel) == []
    bot.fake.faults.clear()
    bot.clock.set(dt.datetime(2026, 1, 26, 8, 10, tzinfo=dt.UTC))
    passes = await asyncio.gather(run_checkins(bot.ctx), run_checkins(bot.ctx))
    [offer] = end_survey_messages(bot, channel)
    # A pass that died after posting it, before noting it: the next finds it, posts nothing.
    async with bot.ctx.db.session() as session:
        await session.execute(
            update(Checkin)
            .where(Checkin.period_key == "end-survey")
            .values(status=CheckinStatus.CLAIMED, message_ts=None, claimed_at=bot.clock.now())
        )
    bot.clock.set(bot.clock.now() + delivery.LEASE * 2)
    await run_checkins(bot.ctx)
    assert sum(p.sent for p in passes) == 1
    assert end_survey_messages(bot, channel) == [offer]
    async with bot.ctx.db.session() as session:
        row = await session.scalar(select(Checkin).where(Checkin.period_key == "end-survey"))
    assert (row.status, row.message_ts) == (CheckinStatus.POSTED, offer["ts"])


async def test_a_last_checkin_posted_with_the_end_survey_keeps_it_when_its_week_is_cancelled(bot):
    channel = await pair_of(bot, weeks="3", sharer_days=("thu",), learner_days=("thu",))
    await rate_confidence_before(bot, RAJ)
    # Weeks 2 and 3 go out at the program's time (Tuesday) while no time is confirmed.
    for day in (20, 27):
        bot.clock.set(dt.datetime(2026, 1, day, 10, 5, tzinfo=dt.UTC))
        assert (await run_checkins(bot.ctx)).sent == 1
    last = bot.fake.messages(channel)[-1]
    assert "Week 3 check-in · end-of-program survey" in texts_of([last])
    bot.clock.set(dt.datetime(2026, 1, 28, 9, tzinfo=dt.UTC))  # Wednesday: Thursday is ahead
    redrawn = await confirm_then_cancel_this_week(bot, channel, last, week=3)
    # The survey was offered already: it stays on the redrawn check-in, nothing new is posted.
    assert "end-of-program survey still counts" in texts_of([redrawn])
    assert end_survey_messages(bot, channel) == [] and await count_end_survey_rows(bot) == 0
    await answer_end_survey(bot, RAJ, channel, last["ts"])
    bot.clock.set(dt.datetime(2026, 1, 29, 16, tzinfo=dt.UTC))  # after Thursday's slot
    assert (await run_checkins(bot.ctx)).sent == 0
    assert end_survey_messages(bot, channel) == []
    assert bot.fake.validation_errors == []
