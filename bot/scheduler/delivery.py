"""Exactly-once posting into a pair's group DM: claim a row, post, record the message ts.

Every scheduled post (kickoff, weekly check-in) is a `Checkin` row, unique per pair and period:
the insert is the claim, so two passes or two processes never both own one. A claim is leased:
if its owner died before recording the Slack ts, the next pass retakes it once the lease is over,
and first looks in the channel's history for a message carrying the row's id in its metadata, so
a post that did reach Slack is recorded instead of sent twice. A post whose answer was lost (a
timeout or a dropped connection: the client does not retry those here) is looked for the
same way before it is tried again; when the history cannot be read either, the row waits for the
next pass, which looks first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot import outbox
from bot.context import AppContext
from bot.db import changed_rows
from bot.models import Checkin, CheckinStatus, Pair
from bot.slack_client import reconciled_posts

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
METADATA_EVENT = "mentorbot_post"
# Rows no claim may take: posted, or a check-in of a week the pair cancelled.
FINAL = (CheckinStatus.POSTED, CheckinStatus.CANCELLED)


@dataclass
class Claim:
    checkin_id: int
    reclaimed: bool  # a previous owner may have posted before dying


async def claim(
    ctx: AppContext,
    *,
    pair_id: int,
    period_key: str,
    week: int,
    kind: str,
    due_at: dt.datetime | None = None,
) -> Claim | None:
    """Own the delivery of (pair, period) now, or None if it is posted or someone else has it.
    `due_at`: when a planned check-in was due; a one-off message (kickoff, wrap-up) is due now.
    """
    now = ctx.clock.now()
    due_at = now if due_at is None else due_at
    try:
        async with ctx.db.session() as session:
            row = Checkin.new_claim(
                pair_id=pair_id,
                program_id=select(Pair.program_id).where(Pair.id == pair_id).scalar_subquery(),
                period_key=period_key,
                week=week,
                kind=kind,
                due_at=due_at,
                now=now,
            )
            session.add(row)
            await session.flush()
            return Claim(row.id, reclaimed=False)
    except IntegrityError:
        pass
    async with ctx.db.session() as session:
        existing = await session.scalar(
            select(Checkin).where(Checkin.pair_id == pair_id, Checkin.period_key == period_key)
        )
        if existing is None or existing.status in FINAL:
            return None
        leased = existing.claimed_at is not None and now - existing.claimed_at < LEASE
        if existing.status == CheckinStatus.CLAIMED and leased:
            return None
        taken = await changed_rows(
            session,
            update(Checkin)
            .where(
                Checkin.id == existing.id,
                Checkin.status.not_in(FINAL),
                Checkin.attempts == existing.attempts,
            )
            .values(claimed_at=now, attempts=existing.attempts + 1, status=CheckinStatus.CLAIMED),
        )
        if taken != 1:
            return None
        # A FAILED row was released by its owner after Slack refused: nothing was posted.
        maybe_posted = (CheckinStatus.CLAIMED, CheckinStatus.UNSURE)
        return Claim(existing.id, reclaimed=existing.status in maybe_posted)


def post_metadata(checkin_id: int) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"checkin_id": checkin_id}}


async def find_earlier_post(ctx: AppContext, channel: str, checkin_id: int) -> str | None:
    """The ts of a message this row already produced, found by its metadata; None if absent.
    Raises what the client raises when the history cannot be read: then nobody knows."""
    history = await ctx.client.conversations_history(
        channel=channel, include_all_metadata=True, limit=50
    )
    messages: list[dict[str, Any]] = history.get("messages", [])
    for message in messages:
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if payload.get("checkin_id") == checkin_id:
            return message.get("ts")
    return None


POST_ATTEMPTS = 3  # posts whose answer was lost, each looked for before the next try
LOST_ANSWER_PAUSE = 0.5  # seconds for a late post to show in the history before looking


async def _post_once(
    ctx: AppContext, claimed: Claim, *, channel: str, text: str, blocks: list[dict[str, Any]]
) -> str | None:
    """The ts of the row's one message in Slack, posting it unless it is there already; None
    when Slack refused (the row is released) or it cannot be known (left for the next pass)."""
    uncertain = claimed.reclaimed
    for attempt in range(POST_ATTEMPTS):
        if uncertain:
            if attempt:
                await asyncio.sleep(LOST_ANSWER_PAUSE)
            try:
                found = await find_earlier_post(ctx, channel, claimed.checkin_id)
            except (SlackApiError, OSError, TimeoutError):
                break
            if found is not None:
                return found
        try:
            with reconciled_posts():
                response = await ctx.client.chat_postMessage(
                    channel=channel,
                    text=text,
                    blocks=blocks,
                    metadata=post_metadata(claimed.checkin_id),
                )
            return str(response["ts"])
        except SlackApiError as exc:  # Slack answered no: nothing was posted
            log.warning(
                "post failed; will retry next pass",
                extra={"checkin": claimed.checkin_id, "error_type": type(exc).__name__},
            )
            await release(ctx, claimed.checkin_id)
            return None
        except (OSError, TimeoutError):  # the answer was lost: the post may have landed
            uncertain = True
    log.warning(
        "post may have landed; the next pass looks for it", extra={"checkin": claimed.checkin_id}
    )
    await release(ctx, claimed.checkin_id, landed_unknown=True)
    return None


async def deliver(
    ctx: AppContext,
    claimed: Claim,
    *,
    channel: str,
    text: str,
    blocks: list[dict[str, Any]],
    extra: dict[str, Any] | None = None,
) -> str | None:
    """Post a claimed row's message once and record its ts; on failure release the row."""
    ts = await _post_once(ctx, claimed, channel=channel, text=text, blocks=blocks)
    if ts is None:
        return None
    async with ctx.db.session() as session:
        recorded = await changed_rows(
            session,
            update(Checkin)
            .where(Checkin.id == claimed.checkin_id, Checkin.status != CheckinStatus.CANCELLED)
            .values(
                status=CheckinStatus.POSTED,
                message_ts=ts,
                channel_id=channel,
                sent_at=ctx.clock.now(),
                **(extra or {}),
            ),
        )
        week = (
            None
            if recorded
            else await session.scalar(select(Checkin.week).where(Checkin.id == claimed.checkin_id))
        )
    if week is not None:
        # The pair cancelled the week while this post was on its way: it stays cancelled (no
        # ts recorded, so nothing counts it) and the message that did land says so.
        await outbox.show_cancelled_checkin(ctx, channel, ts, week)
    return ts


async def release(ctx: AppContext, checkin_id: int, *, landed_unknown: bool = False) -> None:
    """Give a claim up so that the next pass retries it straight away: as failed when Slack
    refused the post, or as unsure (whose taker looks in the history first) when the post may
    have landed."""
    status = CheckinStatus.UNSURE if landed_unknown else CheckinStatus.FAILED
    async with ctx.db.session() as session:
        await session.execute(
            update(Checkin)
            .where(Checkin.id == checkin_id, Checkin.status.not_in(FINAL))
            .values(status=status)
        )
