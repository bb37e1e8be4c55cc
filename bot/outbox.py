"""Slack output that listeners share: publish a home tab, open a modal, tell a person, redraw a
check-in; and the two shapes of "one transaction, then say no where the person is" (after a
click: `transact_or_tell`; in a modal submission: `transact_or_field_error`).

Listener modules use these and never each other. Every function here logs a Slack failure (ids
only) and never raises it: the change that caused the output is already stored. The one
exception is `notify.NotInChannel` from the report posts: only a person can fix that
(`/invite @Mentorbot`), so the caller tells an admin.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncRespond
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import calendar as ical
from bot import notify
from bot.context import AppContext
from bot.middleware import DATABASE_ERRORS, Repeated, record_delivery
from bot.models import Checkin, Goal, Participant
from bot.refusals import Refusal
from bot.reports import Report, report_blocks, report_text
from bot.services import meetings, outcomes
from bot.services import participants as people
from bot.services.dashboard import personal_view, program_numbers
from bot.services.outcomes import LearningGains
from bot.texts import text
from bot.views import blocks as b
from bot.views.checkin import cancelled_checkin_blocks, checkin_blocks
from bot.views.home import home_view
from bot.views.programs import confidence_modal, gains_lines

log = logging.getLogger(__name__)
SLACK_ERRORS = (SlackApiError, OSError, TimeoutError)
T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[T]]


async def publish_home(
    ctx: AppContext, user_id: str, *, delivery: dict[str, Any] | None = None
) -> None:
    """Render and publish one person's home tab.

    `delivery`: the event that asked for it, recorded in the same transaction as the reads
    (`Replay.IN_TRANSACTION`); a repeat of it publishes nothing.
    """
    try:
        async with ctx.db.session() as session:
            if delivery is not None:
                await record_delivery(session, delivery, ctx.clock.now())
            rendered = await home_for(session, ctx, user_id)
    except Repeated:
        return
    await publish_rendered_home(ctx, user_id, rendered)


async def home_for(
    session: AsyncSession,
    ctx: AppContext,
    user_id: str,
    *,
    known: Participant | None = None,
    created_with: list[Goal] | None = None,
) -> dict[str, Any]:
    """One person's home tab, read in `session`: inside the transaction that changed what it
    shows, it costs no transaction of its own (`publish_rendered_home` once that commits).
    `known`, `created_with`: what that transaction saved (see `personal_view`)."""
    view = await personal_view(
        session, user_id, ctx.clock.now(), known=known, created_with=created_with
    )
    numbers = await program_numbers(session) if ctx.is_admin(user_id) else None
    return home_view(view, numbers)


async def publish_rendered_home(ctx: AppContext, user_id: str, rendered: dict[str, Any]) -> None:
    try:
        await ctx.client.views_publish(user_id=user_id, view=rendered)
    except SLACK_ERRORS as exc:
        log.warning("home not published", extra={"user": user_id, "error_type": type(exc).__name__})


async def open_modal(
    ctx: AppContext, trigger_id: str, view: dict[str, Any], *, command: str
) -> str | None:
    """Open `view`; if Slack refuses (stale trigger, outage), return what to tell the person:
    run `/mentoring <command>` again."""
    try:
        await ctx.client.views_open(trigger_id=trigger_id, view=view)
    except SLACK_ERRORS as exc:
        log.warning(
            "modal not opened",
            extra={"callback": view.get("callback_id"), "error_type": type(exc).__name__},
        )
        return text("errors.slack_down", command=command)
    return None


async def reply(respond: AsyncRespond, message: str | None) -> None:
    """Answer a slash command privately (ephemeral), when there is something to say."""
    if message:
        await respond(text=message, response_type="ephemeral")


async def dm_reply(ctx: AppContext, user_id: str, message: str | None) -> None:
    """Answer a click in the App Home or a DM by DM, when there is something to say."""
    if message:
        await notify.dm(ctx, user_id, message)


def clicked_channel(body: dict[str, Any]) -> str | None:
    """The channel where the person clicked, if the click was in a channel (not a home tab)."""
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id"
    )
    return channel if isinstance(channel, str) and channel else None


async def tell(ctx: AppContext, body: dict[str, Any], message: str) -> None:
    """An ephemeral note where the person clicked, or a DM when there is no channel to use."""
    user_id = body["user"]["id"]
    channel = clicked_channel(body)
    if channel:
        try:
            await ctx.client.chat_postEphemeral(channel=channel, user=user_id, text=message)
            return
        except SLACK_ERRORS:
            pass
    await notify.dm(ctx, user_id, message)


async def open_on_click(ctx: AppContext, body: dict[str, Any], view: dict[str, Any]) -> None:
    """Open a modal on the click's trigger; if Slack refuses, say so where the person clicked."""
    try:
        await ctx.client.views_open(trigger_id=body["trigger_id"], view=view)
    except SLACK_ERRORS:
        await tell(ctx, body, text("errors.try_again"))


async def transact_or_tell(
    ctx: AppContext, body: dict[str, Any], work: Work[T], *, taken: str | None = None
) -> T | None:
    """`work` in one transaction; its result, or None when the person was told no instead.

    A `Refusal` is told where they clicked, after the transaction (never while holding it). With
    `taken` (a texts key), a unique-row conflict means another click claimed the change first
    and is told that; without it the conflict is a failure like any other. `work` returns a
    value (not None) when it succeeds, so that None always means "told".
    """
    try:
        async with ctx.db.session() as session:
            return await work(session)
    except Refusal as refusal:
        await tell(ctx, body, refusal.message)
    except IntegrityError:
        if taken is None:
            raise
        await tell(ctx, body, text(taken))
    return None


async def transact_or_field_error(
    ctx: AppContext, ack: AsyncAck, block_id: str, work: Work[T]
) -> T | None:
    """`work` in one transaction for a modal submission; its result, or None when the modal
    was answered instead with the `Refusal` (or "the database is down") under `block_id`. The
    caller acks a result itself: what follows the save (close, update) is its own."""
    try:
        async with ctx.db.session() as session:
            return await work(session)
    except Refusal as refusal:
        message = refusal.message
    except DATABASE_ERRORS:
        message = text("errors.database_down")
    await ack(response_action="errors", errors={block_id: message})
    return None


def prompt_text(ctx: AppContext, prompt_id: str | None) -> str:
    prompt = next((p for p in ctx.prompts if p.id == prompt_id), None)
    return prompt.text if prompt else ""


async def redraw_checkin(ctx: AppContext, checkin: Checkin, status: list[tuple[str, bool]]) -> None:
    """Redraw the check-in message so it shows who has answered (never what).

    `status` comes from `answers.answered_status` in the answer's own transaction, where the
    pair and both people are loaded already: a second transaction re-reading them was a third of
    a click's statements.
    """
    if not checkin.message_ts or not checkin.channel_id:
        return
    blocks = checkin_blocks(
        checkin_id=checkin.id,
        week=checkin.week,
        prompt_text=prompt_text(ctx, checkin.prompt_id),
        survey=checkin.survey,
        status=status,
    )
    try:
        await ctx.client.chat_update(
            channel=checkin.channel_id,
            ts=checkin.message_ts,
            text=text("checkin.fallback", week=checkin.week),
            blocks=blocks,
        )
    except SLACK_ERRORS as exc:
        log.warning(
            "check-in not redrawn", extra={"checkin": checkin.id, "error_type": type(exc).__name__}
        )


async def show_cancelled_checkin(
    ctx: AppContext, channel: str, ts: str, week: int, *, end_survey_on: int | None = None
) -> None:
    """Redraw a posted check-in of a week the pair cancelled: nothing to answer, not a miss;
    its end survey stays (`end_survey_on`, the posted check-in it is answered on)."""
    try:
        await ctx.client.chat_update(
            channel=channel,
            ts=ts,
            text=text("checkin.cancelled", week=week),
            blocks=cancelled_checkin_blocks(week, end_survey_on),
        )
    except SLACK_ERRORS as exc:
        log.warning("cancelled check-in not redrawn", extra={"error_type": type(exc).__name__})


async def upload(
    ctx: AppContext, channel: str, *, content: bytes | str, filename: str, title: str, comment: str
) -> None:
    """files.getUploadURLExternal -> upload -> files.completeUploadExternal, via slack_sdk.
    Raises `NotInChannel` when the bot is not a member of the channel."""
    try:
        await ctx.client.files_upload_v2(
            channel=channel,
            content=content if isinstance(content, str) else None,
            file=content if isinstance(content, bytes) else None,
            filename=filename,
            title=title,
            initial_comment=comment,
        )
    except SLACK_ERRORS as exc:
        if isinstance(exc, SlackApiError) and notify.not_a_member(exc):
            raise notify.NotInChannel(channel) from None
        log.warning(
            "file not uploaded", extra={"channel": channel, "error_type": type(exc).__name__}
        )


async def post_report(
    ctx: AppContext,
    channel: str,
    report: Report,
    *,
    intro: str | None = None,
    learning: LearningGains | None = None,
) -> bool:
    """Summary message plus the weekly chart; returns False if the message did not go out,
    and raises `NotInChannel` when the bot is not a member of the channel. `learning`: the
    confidence gain, shown before the footer."""
    fallback = report_text(report)
    if intro:
        fallback = f"{intro}\n{fallback}"
    blocks = report_blocks(report)
    if learning is not None:
        lines = gains_lines(learning, ctx.settings.privacy_min_group_size)
        blocks.insert(len(blocks) - 2, b.section("\n".join(lines)[:2900]))  # before the footer
        fallback += "\n\n" + "\n".join(lines)
    ts = await notify.post_to_channel(ctx, channel, fallback[:3900], blocks)
    if ts is None:
        return False
    # matplotlib (about 40 MB) loads with the first chart, not when `mentorbot serve` starts
    from bot.reports.chart import weekly_chart_png

    await upload(
        ctx,
        channel,
        content=weekly_chart_png(report),
        filename=f"mentoring-week-{report.current_week or 0}.png",
        title=text("reports.chart_title"),
        comment=text("reports.chart_comment"),
    )
    return True


async def post_csv(ctx: AppContext, channel: str, program_id: int, csv_text: str) -> None:
    await upload(
        ctx,
        channel,
        content=csv_text,
        filename=f"mentoring-{program_id}-weekly.csv",
        title=text("reports.csv_title"),
        comment=text("reports.csv_comment", min_group=ctx.settings.privacy_min_group_size),
    )


async def confidence_view(
    ctx: AppContext, user_id: str, program_id: int, phase: str
) -> dict[str, Any] | None:
    """The questions for this person, or None if there is nothing to rate."""
    async with ctx.db.session() as session:
        participant = await people.get_participant(session, user_id)
        if participant is None:
            return None
        topics = await outcomes.topics_to_rate(session, participant, program_id, phase)
    return confidence_modal(program_id, phase, topics) if topics else None


async def cancel_meeting_series(ctx: AppContext, pair_id: int) -> None:
    """A pair ended: its group DM gets the invite that takes the regular meeting out of both
    calendars (same UID, higher SEQUENCE, STATUS:CANCELLED)."""
    async with ctx.db.session() as session:
        state = await meetings.for_pair(session, pair_id)
    if state is None or not state.ended or not state.pair.dm_channel_id:
        return
    await upload(
        ctx,
        state.pair.dm_channel_id,
        content=ical.ics(state.calendar_series(ctx.clock.now())),
        filename="mentoring-meeting.ics",
        title=text("meeting.ics_title"),
        comment=text("meeting.ended_comment"),
    )
