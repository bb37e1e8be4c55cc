"""Block Kit for a pair's regular meeting time: proposals, confirmations, the pick and move modals.

Times are always shown in each person's own zone and city, so nobody converts in their head.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

from bot import ids, slots
from bot.texts import raw, text
from bot.texts.mrkdwn import Mrkdwn
from bot.views import blocks as b
from bot.views.dates import local_time

DAY_NAMES = dict(raw("catalogue.days"))

# (Slack user id, IANA zone) of each person, in the order they are named.
People = Sequence[tuple[str, str]]


def city(tz: str) -> str:
    """'Asia/Kolkata' -> 'Kolkata': how people name a zone."""
    return tz.rsplit("/", 1)[-1].replace("_", " ")


def cadence(weeks: int) -> str:
    return text("meeting.cadence_one") if weeks == 1 else text("meeting.cadence_many", weeks=weeks)


def _hm(moment: dt.datetime) -> str:
    return moment.strftime("%H:%M")


def own_times(start: dt.datetime, end: dt.datetime, tz: str, *, weekly: bool) -> tuple[str, str]:
    """('Tuesdays', '10:00-10:30') or ('Tue 20 Jan', '10:00-10:30') in ``tz``."""
    zone = ZoneInfo(tz)
    local, local_end = start.astimezone(zone), end.astimezone(zone)
    if weekly:
        days = DAY_NAMES.get(slots.WEEKDAYS[local.weekday()], local.strftime("%A")) + "s"
    else:
        days = local.strftime("%a %-d %b")
    return days, f"{_hm(local)}-{_hm(local_end)}"


def slack_date(moment: dt.datetime, *, with_time: bool = True) -> Mrkdwn:
    """A date Slack shows in each reader's own zone (a group DM has two zones); the fallback,
    for clients that cannot, is in UTC and says so."""
    token = "{date_short_pretty} {time}" if with_time else "{date_short_pretty}"
    utc = moment.astimezone(dt.UTC)
    fallback = utc.strftime("%a %-d %b %H:%M UTC" if with_time else "%a %-d %b")
    return Mrkdwn(f"<!date^{int(utc.timestamp())}^{token}|{fallback}>")


def times_line(start: dt.datetime, end: dt.datetime, people: People, *, weekly: bool) -> Mrkdwn:
    """'Tuesdays 10:00-10:30 for <@A> in London, 14:30-15:00 for <@B> in Kolkata' (weekly) or
    'Tue 20 Jan 10:00-10:30 for ...' (one meeting); the day is repeated only where it differs."""
    shown = [(*own_times(start, end, tz, weekly=weekly), city(tz), user) for user, tz in people]
    if len({s[:3] for s in shown}) == 1:  # the same clock for everyone: say it once
        users = Mrkdwn(" and ".join(b.mention(user) for *_, user in shown))
        days, hours, place, _ = shown[0]
        return text("meeting.times_together", days=days, hours=hours, users=users, city=place)
    parts: list[str] = []
    last_day = None
    for days, hours, place, user in shown:
        values = {"hours": hours, "user": user, "city": place}
        if days == last_day:
            parts.append(text("meeting.person_times_same_day", **values))
        else:
            parts.append(text("meeting.person_times", days=days, **values))
        last_day = days
    return Mrkdwn(", ".join(parts))


def problems_text(problems: Sequence[slots.Problem], people: People) -> Mrkdwn:
    kinds = [(p.kind, people[p.person][0]) for p in problems]
    return Mrkdwn(" and ".join(text(f"meeting.problem.{kind}", user=user) for kind, user in kinds))


def button_value(meeting_id: int, version: int) -> str:
    return f"{meeting_id}:{version}"


def proposal_blocks(
    *,
    meeting_id: int,
    version: int,
    option: slots.Option,
    people: People,
    cadence_weeks: int,
    overlap: bool,
    proposed_by: str | None = None,
) -> list[dict[str, Any]]:
    """The proposed slot with "Works for us" and "Suggest another time"."""
    first = option.occurrences[0]
    values = {
        "line": times_line(first.start, first.end, people, weekly=True),
        "cadence": cadence(cadence_weeks),
        "first": slack_date(first.start, with_time=False),
        "problems": problems_text(option.problems, people),
    }
    if proposed_by:
        sentence = text("meeting.proposal_by", user=proposed_by, **values)
        if option.problems:
            problems = values["problems"]
            sentence = Mrkdwn(f"{sentence} {problems[:1].upper()}{problems[1:]}.")
    elif not overlap:
        sentence = text("meeting.no_overlap", **values)
    elif option.problems:
        sentence = text("meeting.proposal_working", **values)
    else:
        sentence = text("meeting.proposal", **values)
    value = button_value(meeting_id, version)
    return [
        b.section(text("meeting.heading") + "\n" + sentence),
        b.actions(
            b.button(text("meeting.works"), ids.MEETING_CONFIRM, value, style="primary"),
            b.button(text("meeting.suggest"), ids.MEETING_SUGGEST, value),
        ),
        b.context(text("meeting.either_confirms")),
    ]


def confirmed_blocks(
    *,
    sentence: str,
    meeting_id: int,
    version: int,
    google: str,
    outlook: str,
    meetings_left: bool,
) -> list[dict[str, Any]]:
    """What was agreed, the calendar links, and the ways to change it."""
    value = button_value(meeting_id, version)
    buttons = [b.button(text("meeting.change_button"), ids.MEETING_CHANGE, value)]
    if meetings_left:
        confirm = {
            "title": b.plain(text("meeting.cancel_confirm_title")),
            "text": b.plain(text("meeting.cancel_confirm")),
            "confirm": b.plain(text("meeting.cancel_confirm_yes")),
            "deny": b.plain(text("meeting.cancel_confirm_no")),
        }
        buttons = [
            b.button(text("meeting.move_button"), ids.MEETING_MOVE, value),
            *buttons,
            b.button(
                text("meeting.cancel_button"), ids.MEETING_CANCEL_WEEK, value, confirm=confirm
            ),
        ]
    return [
        b.section(sentence),
        b.context(text("meeting.calendar_links", google=google, outlook=outlook)),
        b.actions(*buttons),
    ]


def _day_select(initial: str | None = None) -> dict[str, Any]:
    return b.select(
        ids.A_MEETING_DAY,
        b.options([(d, DAY_NAMES[d]) for d in slots.WORKING_DAYS]),
        initial=initial,
    )


def _time_picker(initial: dt.time | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "timepicker", "action_id": ids.A_MEETING_TIME}
    if initial is not None:
        element["initial_time"] = initial.strftime("%H:%M")
    return element


def option_value(slot: slots.Slot) -> str:
    return f"{slot.weekday}@{slot.start:%H:%M}"


def pick_modal(
    *,
    metadata: dict[str, Any],
    alternatives: Sequence[slots.Option],
    me: tuple[str, str],
    partner: tuple[str, str],
    confirmed: bool,
) -> dict[str, Any]:
    """Three alternatives in the clicker's own time, then a free pick of day and time."""
    my_tz, partner_tz = me[1], partner[1]
    choices = []
    for option in alternatives:
        first = option.occurrences[0]
        mine = " ".join(own_times(first.start, first.end, my_tz, weekly=True))
        theirs = " ".join(own_times(first.start, first.end, partner_tz, weekly=True))
        description = text("meeting.option_description", times=theirs, city=city(partner_tz))
        choices.append(b.option(option_value(option.slot), mine, description))
    choices.append(b.option(ids.MEETING_OTHER, text("meeting.option_other")))
    blocks = [
        b.section(text("meeting.pick_intro", city=city(my_tz))),
        b.input_block(
            ids.B_MEETING_OPTION,
            text("meeting.option_label"),
            {"type": "radio_buttons", "action_id": ids.A_MEETING_OPTION, "options": choices},
            optional=True,
        ),
        b.input_block(ids.B_MEETING_DAY, text("meeting.day_label"), _day_select(), optional=True),
        b.input_block(
            ids.B_MEETING_TIME,
            text("meeting.time_label", city=city(my_tz)),
            _time_picker(),
            optional=True,
        ),
    ]
    return b.modal(
        ids.MEETING_PICK_CALLBACK,
        text("meeting.pick_title"),
        blocks,
        submit=text("meeting.change_submit" if confirmed else "meeting.pick_submit"),
        private_metadata=metadata,
    )


def move_modal(
    *, metadata: dict[str, Any], occurrence: slots.Occurrence, me: tuple[str, str]
) -> dict[str, Any]:
    local = occurrence.start.astimezone(ZoneInfo(me[1]))
    blocks = [
        b.section(
            text("meeting.move_intro", when=local_time(occurrence.start, me[1]), city=city(me[1]))
        ),
        b.input_block(
            ids.B_MEETING_DAY,
            text("meeting.day_label"),
            _day_select(slots.WEEKDAYS[local.weekday()]),
        ),
        b.input_block(
            ids.B_MEETING_TIME,
            text("meeting.time_label", city=city(me[1])),
            _time_picker(local.time().replace(second=0, microsecond=0)),
        ),
    ]
    return b.modal(
        ids.MEETING_PICK_CALLBACK,
        text("meeting.move_title"),
        blocks,
        submit=text("meeting.move_submit"),
        private_metadata=metadata,
    )


def anyway_modal(*, metadata: dict[str, Any], when: str, problems: str) -> dict[str, Any]:
    """Asks before proposing a time outside someone's working hours or days."""
    return b.modal(
        ids.MEETING_ANYWAY_CALLBACK,
        text("meeting.anyway_title"),
        [b.section(text("meeting.anyway_intro", when=when, problems=problems))],
        submit=text("meeting.anyway_submit"),
        close=text("meeting.anyway_back"),
        private_metadata=metadata,
    )


def notice_modal(message: str) -> dict[str, Any]:
    """Why a confirmed pick could not be made after all (the meeting changed meanwhile)."""
    return b.modal(
        ids.MEETING_NOTICE_CALLBACK,
        text("meeting.anyway_title"),
        [b.section(message)],
        close=text("meeting.close"),
    )
