"""Exactly-once posting into a pair's group DM: claim a row, post, record the message ts.

Every scheduled post (kickoff, weekly check-in) is a `Checkin` row, unique per pair and period:
the insert is the claim, so two passes or two processes never both own one. A claim is leased:
if its owner died before recording the Slack ts, the next pass retakes it once the lease is over,
and first looks in the channel's history for a message carrying the row's id in its metadata, so
a post that did reach Slack is recorded instead of sent twice.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from bot.context import AppContext
from bot.db import changed_rows
from bot.models import Checkin, CheckinStatus, Pair

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
METADATA_EVENT = "mentorbot_post"


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
            row = Checkin(
                pair_id=pair_id,
                program_id=select(Pair.program_id).where(Pair.id == pair_id).scalar_subquery(),
                period_key=period_key,
                week=week,
                kind=kind,
                due_at=due_at,
                claimed_at=now,
                attempts=1,
                status=CheckinStatus.CLAIMED,
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
        if existing is None or existing.status == CheckinStatus.POSTED:
            return None
        leased = existing.claimed_at is not None and now - existing.claimed_at < LEASE
        if existing.status == CheckinStatus.CLAIMED and leased:
            return None
        taken = await changed_rows(
            session,
            update(Checkin)
            .where(
                Checkin.id == existing.id,
                Checkin.status != CheckinStatus.POSTED,
                Checkin.attempts == existing.attempts,
            )
            .values(claimed_at=now, attempts=existing.attempts + 1, status=CheckinStatus.CLAIMED),
        )
        if taken != 1:
            return None
        # A FAILED row was released by its owner after Slack refused: nothing was posted.
        return Claim(existing.id, reclaimed=existing.status == CheckinStatus.CLAIMED)


def post_metadata(checkin_id: int) -> dict[str, Any]:
    return {"event_type": METADATA_EVENT, "event_payload": {"checkin_id": checkin_id}}


async def find_earlier_post(ctx: AppContext, channel: str, checkin_id: int) -> str | None:
    """The ts of a message this row already produced, found by its metadata; None if absent."""
    try:
        history = await ctx.client.conversations_history(
            channel=channel, include_all_metadata=True, limit=50
        )
    except (SlackApiError, OSError, TimeoutError):
        return None
    messages: list[dict[str, Any]] = history.get("messages", [])
    for message in messages:
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if payload.get("checkin_id") == checkin_id:
            return message.get("ts")
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
    """Post a claimed row's message and record its ts; on failure release the row for later."""
    ts = await find_earlier_post(ctx, channel, claimed.checkin_id) if claimed.reclaimed else None
    if ts is None:
        try:
            response = await ctx.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=blocks,
                metadata=post_metadata(claimed.checkin_id),
            )
            ts = response["ts"]
        except (SlackApiError, OSError, TimeoutError) as exc:
            log.warning(
                "post failed; will retry next pass",
                extra={"checkin": claimed.checkin_id, "error_type": type(exc).__name__},
            )
            await release(ctx, claimed.checkin_id)
            return None
    async with ctx.db.session() as session:
        await session.execute(
            update(Checkin)
            .where(Checkin.id == claimed.checkin_id)
            .values(
                status=CheckinStatus.POSTED,
                message_ts=ts,
                channel_id=channel,
                sent_at=ctx.clock.now(),
                **(extra or {}),
            )
        )
    return ts


async def release(ctx: AppContext, checkin_id: int) -> None:
    """Mark a claim failed so the next pass retries it straight away."""
    async with ctx.db.session() as session:
        await session.execute(
            update(Checkin)
            .where(Checkin.id == checkin_id, Checkin.status != CheckinStatus.POSTED)
            .values(status=CheckinStatus.FAILED)
        )
