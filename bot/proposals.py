"""Matching proposals for HR, and rematching the waiting pool: shared by the admin, self-service,
check-in and sign-up flows (a pair can end, or a fitting person join, in any of them)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot import notify
from bot.context import AppContext
from bot.models import MatchProposal, Participant, ParticipantStatus, Program
from bot.outbox import upload
from bot.services.rematch import anyone_waiting, rematch
from bot.services.reports import hr_channel_for
from bot.texts import counted, text
from bot.texts.mrkdwn import escape
from bot.views.admin import proposal_file, proposal_message


async def publish_proposal(
    ctx: AppContext,
    proposal_id: int,
    program_name: str,
    data: dict[str, Any],
    channel: str,
    intro: str | None = None,
) -> str | None:
    """Post a stored proposal to HR (every pair listed; a file with every reason when the
    message can't hold them) and remember where it is; returns the message ts. Raises
    `NotInChannel` when the bot is not a member of the HR channel."""
    blocks, with_file = proposal_message(program_name, proposal_id, data, intro=intro)
    fallback = text("matching.header", program=program_name)
    ts = await notify.post_to_channel(ctx, channel, fallback, blocks)
    async with ctx.db.session() as session:
        stored = await session.get(MatchProposal, proposal_id)
        if stored is not None:
            stored.channel_id, stored.message_ts = channel, ts
    if ts is not None and with_file:
        await upload(
            ctx,
            channel,
            content=proposal_file(program_name, data),
            filename=f"matching-proposal-{proposal_id}.txt",
            title=text("matching.header", program=program_name),
            comment=text(
                "programs.proposal_file_comment", pairs=counted(len(data.get("pairs", [])), "pair")
            ),
        )
    return ts


async def rematch_for(ctx: AppContext, user_ids: list[str], *, intro_key: str) -> None:
    """After a pair ended early (`user_ids`: who is left) or someone joined a running program
    (`user_ids`: the joiner): propose pairs for the waiting pool to HR at once, and tell each
    stranded person plainly whether a partner is proposed or why they wait."""
    async with ctx.db.session() as session:
        people = [
            p
            for p in (
                await session.scalars(
                    select(Participant).where(Participant.slack_user_id.in_(user_ids))
                )
            ).all()
            if p.program_id is not None and p.status == ParticipantStatus.ACTIVE
        ]
        if not people:
            return
        program = await session.get(Program, people[0].program_id)
        if program is None:
            return
        if intro_key == LATE_JOINER and not await anyone_waiting(session, program):
            return  # nobody was told they wait: HR matches the enrolment as usual
        outcome = await rematch(session, program, people, ctx.clock.now())
        if outcome is None:
            return
        name, channel = program.name, hr_channel_for(ctx, program)
        proposal = outcome.proposal
        posted = (proposal.id, proposal.proposal) if proposal is not None else None
    if posted is not None and channel is not None:
        intro = text(intro_key, name=escape(name))
        try:
            await publish_proposal(ctx, posted[0], name, posted[1], channel, intro=intro)
        except notify.NotInChannel:  # nobody asked for it: every HR admin hears what to do
            for admin in ctx.settings.hr_admin_ids:
                await notify.dm(ctx, admin, text("admin.match_not_in_channel", channel=channel))
    if intro_key != LATE_JOINER:  # a joiner hears what joining means in their confirmation
        for user_id in outcome.paired:
            await notify.dm(ctx, user_id, text("programs.rematch_proposed_dm", name=escape(name)))
        for user_id, reason in outcome.waiting:
            await notify.dm(
                ctx, user_id, text("programs.rematch_waiting_dm", name=escape(name), reason=reason)
            )


async def tell_unmatched(ctx: AppContext, unmatched: list[dict[str, Any]]) -> None:
    """Everyone a proposal leaves out hears why as soon as it is made, whether or not HR
    approves anything, and their App Home says the same; a person is told a reason once."""
    told = []
    async with ctx.db.session() as session:
        for item in unmatched:
            person = await session.scalar(
                select(Participant).where(Participant.slack_user_id == item["user"])
            )
            if (
                person is None
                or person.status != ParticipantStatus.ACTIVE
                or not item["reason"]
                or person.waiting_reason == item["reason"]
            ):
                continue
            person.waiting_reason = item["reason"]
            told.append((item["user"], item["reason"]))
    for user_id, reason in told:
        await notify.dm(ctx, user_id, text("matching.unmatched_dm", reason=reason))


STRANDED = "programs.rematch_hr"
LATE_JOINER = "programs.late_joiner_proposal"
