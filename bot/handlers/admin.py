"""HR admin flows: program setup, matching review and approval, the topic catalogue.

Every listener checks the actor, not only the slash command: a button click or a replayed view
submission from someone who is not an HR admin is refused and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from sqlalchemy import func, select

from bot import ids, notify, proposals
from bot.clock import earliest_today
from bot.context import AppContext
from bot.forms import StateReader, db_id, parse_program, split_topics
from bot.listeners import Routes, app_context, command_args
from bot.middleware import DATABASE_ERRORS, parse_json
from bot.models import COMPLETED, MatchProposal, Pair, Participant, Program, ProgramStatus
from bot.outbox import (
    SLACK_ERRORS,
    dm_reply,
    open_modal,
    post_report,
    publish_home,
    reply,
    tell,
)
from bot.refusals import Refusal
from bot.scheduler.closing import deliver_closing
from bot.scheduler.kickoffs import run_kickoffs
from bot.services import matching_service, reports
from bot.services import participants as people
from bot.services import programs as cohorts
from bot.services.next_round import next_round_people
from bot.services.org_invites import claim_invitations
from bot.services.programs import save_program
from bot.services.reports import hr_channel_for
from bot.texts import counted, raw, text
from bot.texts.mrkdwn import escape
from bot.views.admin import closed_proposal_blocks, org_invite_blocks, program_modal
from bot.views.checkin import repair_offer_blocks
from bot.views.programs import close_modal, invite_blocks, programs_blocks
from bot.vocabulary import ExperienceBand, Weekday, label

log = logging.getLogger(__name__)


def clicked_message(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(channel, ts) of the message whose button was clicked, as Slack reports it."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


async def admin_or_refuse(ctx: AppContext, body: dict[str, Any]) -> bool:
    """True for an HR admin; anyone else is told privately, where they clicked, and refused."""
    user_id = body["user"]["id"]
    if ctx.is_admin(user_id):
        return True
    log.info("admin action refused", extra={"user": user_id})
    await tell(ctx, body, text("errors.not_admin"))
    return False


async def admin_click(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
) -> AppContext | None:
    """Every HR button's first half: ack, then the context for an HR admin; None (and told)
    for anyone else."""
    await ack()
    ctx = app_context(context)
    return ctx if await admin_or_refuse(ctx, body) else None


NEW = "new"


def program_name(args: list[str]) -> str | None:
    """The program name a command was given: the rest of its text, or None."""
    return cohorts.clean_name(" ".join(args)) or None


async def open_program_modal(ctx: AppContext, trigger_id: str, args: list[str]) -> str | None:
    """`admin program` (the only active one, or a new one if there is none), `admin program
    new`, `admin program <name>`; returns what to tell the admin instead, if anything."""
    name = program_name(args)
    async with ctx.db.session() as session:
        wants_new = name.lower() == NEW if name else not await cohorts.active_programs(session)
        if wants_new:
            program = None
        else:
            try:
                program = await cohorts.resolve(session, name)
            except Refusal as refusal:
                return refusal.message
        can_invite = program is None and bool(await next_round_people(session, None))
    view = program_modal(program, ctx.settings.hr_channel_id, can_invite=can_invite)
    return await open_modal(ctx, trigger_id, view, command="admin program")


async def list_programs(ctx: AppContext, respond: AsyncRespond) -> None:
    async with ctx.db.session() as session:
        lines = await cohorts.overview(session, ctx.clock.now().date())
        blocks = programs_blocks(lines)
    await respond(text=text("programs.list_header"), blocks=blocks, response_type="ephemeral")


async def ask_to_close(ctx: AppContext, trigger_id: str, args: list[str]) -> str | None:
    """`admin close <name>`: the confirmation modal, or why not (unknown, closed already)."""
    try:
        async with ctx.db.session() as session:
            found = await cohorts.resolve(session, program_name(args))
    except Refusal as refusal:
        return refusal.message
    if found.status == ProgramStatus.CLOSED:
        return text("programs.already_closed", name=escape(found.name))
    view = close_modal(found, hr_channel_for(ctx, found))
    return await open_modal(ctx, trigger_id, view, command="admin close")


async def confirm_close(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """HR confirmed `admin close <name>`: close now, then post the wrap-ups and final report."""
    await ack()
    ctx = app_context(context)
    user_id = body["user"]["id"]
    if not ctx.is_admin(user_id):  # a replayed or forged submission
        await notify.dm(ctx, user_id, text("errors.not_admin"))
        return
    program_id = parse_json(view.get("private_metadata")).get("program_id")
    if not isinstance(program_id, int):
        return
    try:
        async with ctx.db.session() as session:
            program = await session.get(Program, program_id)
            if program is None:
                return
            name, channel = program.name, hr_channel_for(ctx, program)
            await cohorts.close(session, program, ctx.clock.now())
            pairs = await session.scalar(
                select(func.count()).where(
                    Pair.program_id == program_id, Pair.end_reason == COMPLETED
                )
            )
    except Refusal as refusal:
        await notify.dm(ctx, user_id, refusal.message)
        return
    except DATABASE_ERRORS:
        await notify.dm(ctx, user_id, text("errors.database_down"))
        return
    note = (
        text("programs.closed_note", name=escape(name), pairs=pairs, channel=channel)
        if channel
        else text("programs.closed_note_no_channel", name=escape(name), pairs=pairs)
    )
    await notify.dm(ctx, user_id, note)
    log.info("program closed early", extra={"program": program_id, "user": user_id})
    await deliver_closing(ctx, program_id)


async def invite_next_round(ctx: AppContext, program_id: int, admin_id: str) -> int:
    """DM everyone who asked for the next round a Join button for this program; tells the
    admin how many were invited."""
    async with ctx.db.session() as session:
        program = await session.get(Program, program_id)
        if program is None:
            return 0
        invitees = [p.slack_user_id for p in await next_round_people(session, program)]
        blocks = invite_blocks(program)
        fallback = text(
            "programs.invite_dm",
            name=escape(program.name),
            start=f"{program.start_date:%-d %b %Y}",
            weeks=program.length_weeks,
        )
    sent = 0
    for user_id in invitees:
        if await notify.dm(ctx, user_id, fallback, blocks):
            sent += 1
    await notify.dm(ctx, admin_id, text("programs.invited", count=sent))
    return sent


async def post_proposal(
    ctx: AppContext, requested_by: str, excluded: list[str], program_ref: str | int | None = None
) -> str:
    """Run matching for the named program (by name, or its id on a re-run) and post the
    proposal to its HR channel; returns a note for the admin."""
    try:
        async with ctx.db.session() as session:
            if isinstance(program_ref, int):
                program = await session.get(Program, program_ref)
                if program is None:
                    raise Refusal("matching.stale")
            else:
                program = await cohorts.resolve(session, program_ref)
            if program.status == ProgramStatus.CLOSED:
                raise Refusal("programs.already_closed", name=escape(program.name))
            channel = program.hr_channel_id or ctx.settings.hr_channel_id
            if not channel:
                raise Refusal("admin.no_hr_channel")
            proposal = await matching_service.propose(
                session, program, requested_by=requested_by, excluded=excluded, now=ctx.clock.now()
            )
            data, proposal_id, name = proposal.proposal, proposal.id, program.name
    except Refusal as refusal:
        return refusal.message
    if data["pool"] == 0:
        return text("admin.match_empty", program=name)
    try:
        ts = await proposals.publish_proposal(ctx, proposal_id, name, data, channel)
    except notify.NotInChannel:
        return text("admin.match_not_in_channel", channel=channel)
    if ts is None:
        return text("errors.try_again")
    await proposals.tell_unmatched(ctx, data["unmatched"])
    return text(
        "admin.match_posted",
        channel=channel,
        pairs=counted(len(data["pairs"]), "pair"),
        unmatched=len(data["unmatched"]),
    )


async def close_message(ctx: AppContext, body: dict[str, Any], note: str) -> None:
    """Redraw the clicked HR message (a proposal or an at-risk note) with `note`, what was done,
    in place of its buttons. If Slack refuses, the message stays as it was (logged)."""
    channel, ts = clicked_message(body)
    if not (channel and ts):
        return
    original = (body.get("message") or {}).get("blocks") or []
    try:
        await ctx.client.chat_update(
            channel=channel, ts=ts, text=note, blocks=closed_proposal_blocks(original, note)
        )
    except SLACK_ERRORS:
        log.warning("clicked HR message not updated", extra={"channel": channel})


async def add_topics(ctx: AppContext, user_id: str, args: list[str]) -> str:
    """`admin topics a, b`: add to the catalogue; returns what to tell the admin."""
    labels = split_topics(" ".join(args))
    if not labels:
        return text("admin.topics_usage")
    async with ctx.db.session() as session:
        added = await people.add_topics(session, labels, user_id)
    if not added:
        return text("admin.topics_none_new")
    return text("admin.topics_added", topics=", ".join(added))


def invite_args(args: list[str]) -> tuple[str, str | None, str | None] | None:
    """(program name, department, band) from `invite <name words> [department=..] [band=..]`;
    None when the name is missing or a filter is unknown."""
    name: list[str] = []
    filters: dict[str, str | None] = {"department": None, "band": None}
    for word in args:
        key, eq, value = word.partition("=")
        if eq and key.lower() in filters and value:
            filters[key.lower()] = value
        elif eq:
            return None
        else:
            name.append(word)
    if not name:
        return None
    return " ".join(name), filters["department"], filters["band"]


async def invite(ctx: AppContext, user_id: str, args: list[str]) -> str:
    """`admin invite <program> [department=..] [band=..]`: DM the eligible people who have not
    joined, each at most once per program; returns HR's summary."""
    bands = ", ".join(b.value for b in ExperienceBand)
    parsed = invite_args(args)
    if parsed is None:
        return text("admin.invite_usage", bands=bands)
    name, department, band_code = parsed
    try:
        band = ExperienceBand(band_code) if band_code else None
    except ValueError:
        return text("admin.invite_usage", bands=bands)
    async with ctx.db.session() as session:
        try:
            program = await cohorts.resolve(session, name)
        except Refusal as refusal:
            return refusal.message
        if program.status == ProgramStatus.CLOSED:
            return text("admin.invite_closed", name=program.name)
        counts = await claim_invitations(
            session,
            program,
            department=department,
            band=band,
            invited_by=user_id,
            now=ctx.clock.now(),
        )
        program_name, program_id = program.name, program.id
    dm = text("admin.invite_dm", program=program_name)
    blocks = org_invite_blocks(dm, program_id)
    gate = asyncio.Semaphore(ctx.settings.slack_max_concurrency)

    async def send(person: str) -> bool:
        async with gate:
            return await notify.dm(ctx, person, dm, blocks) is not None

    sent = await asyncio.gather(*(send(person) for person in counts.invited_now))
    failed = len(sent) - sum(sent)
    return text(
        "admin.invite_done",
        sent=sum(sent),
        program=program_name,
        failed=text("admin.invite_failed", count=failed) if failed else "",
        before=counts.invited_before,
        joined=counts.joined,
        total=counts.invited_total,
    )


async def admin_command(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    ctx = app_context(context)
    user_id = command["user_id"]
    if not ctx.is_admin(user_id):
        await respond(text=text("errors.not_admin"), response_type="ephemeral")
        return
    args = command_args(command)
    action = args[0].lower() if args else ""
    name = program_name(args[1:])
    if action == "program":
        message = await open_program_modal(ctx, command["trigger_id"], args[1:])
    elif action == "programs":
        await list_programs(ctx, respond)
        return
    elif action == "close":
        message = await ask_to_close(ctx, command["trigger_id"], args[1:])
    elif action == "match":
        message = await post_proposal(ctx, user_id, [], name)
    elif action == "topics":
        message = await add_topics(ctx, user_id, args[1:])
    elif action == "invite":
        message = await invite(ctx, user_id, args[1:])
    else:
        message = text("admin.unknown")
    await reply(respond, message)


def program_summary(program: Program, *, created: bool, joined: int) -> str:
    """What the admin is told once the program is saved."""
    return text(
        "admin.program_saved",
        name=program.name,
        action="open" if created else "updated",
        start=f"{program.start_date:%-d %b %Y}",
        weeks=program.length_weeks,
        cadence=dict(raw("admin.cadences"))[str(program.cadence_weeks)].lower(),
        weekday=label(Weekday(program.checkin_weekday)),
        time=program.checkin_time.strftime("%H:%M"),
        joined=joined,
    )


async def submit_program(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    ctx = app_context(context)
    user_id = body["user"]["id"]
    if not ctx.is_admin(user_id):
        await ack(response_action="errors", errors={ids.B_PROGRAM_NAME: text("errors.not_admin")})
        return
    program_id = parse_json(view.get("private_metadata")).get("program_id")
    today = earliest_today(ctx.clock.now())
    try:
        async with ctx.db.session() as session:
            existing = (
                await session.get(Program, program_id) if isinstance(program_id, int) else None
            )
            form, errors = parse_program(view, today=today, existing=existing)
            if errors or form is None:
                await ack(response_action="errors", errors=errors)
                return
            program, created, joined = await save_program(
                session,
                form,
                program_id=existing.id if existing else None,
                created_by=user_id,
                now=ctx.clock.now(),
            )
            summary = program_summary(program, created=created, joined=joined)
            new_program_id = program.id if created else None
    except Refusal as refusal:
        await ack(response_action="errors", errors={ids.B_PROGRAM_NAME: refusal.message})
        return
    except DATABASE_ERRORS:
        await ack(
            response_action="errors", errors={ids.B_PROGRAM_NAME: text("errors.database_down")}
        )
        return
    await ack()
    await notify.dm(ctx, user_id, summary)
    if new_program_id is not None and wants_invitations(view):
        await invite_next_round(ctx, new_program_id, user_id)
    await publish_home(ctx, user_id)


def wants_invitations(view: dict[str, Any]) -> bool:
    """Whether a new program's modal asked to invite people who want the next round."""
    return bool(StateReader(view).options(ids.B_PROGRAM_INVITE, ids.A_PROGRAM_INVITE))


async def approve(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    ctx = await admin_click(ack, body, context)
    if ctx is None:
        return
    user_id = body["user"]["id"]
    proposal_id = db_id(body["actions"][0].get("value"))
    if proposal_id is None:
        return
    async with ctx.db.session() as session:
        proposal = await session.get(MatchProposal, proposal_id)
        pairs = await matching_service.approve(session, proposal) if proposal else None
        if proposal is not None and pairs is not None:
            program_id = proposal.program_id
            unmatched = list(proposal.proposal.get("unmatched", []))
    if proposal is None or pairs is None:
        await notify.dm(ctx, user_id, text("matching.stale"))
        return
    note = text("matching.approved", user=user_id, pairs=counted(len(pairs), "pair"))
    await close_message(ctx, body, note)
    counts = await run_kickoffs(ctx, program_id)
    await proposals.tell_unmatched(ctx, unmatched)
    channel, _ = clicked_message(body)
    if channel:
        done = text(
            "matching.kickoff_done", sent=counted(counts.sent, "pair"), failed=counts.failed
        )
        await notify.post(ctx, channel, done)


async def rerun_from(
    ctx: AppContext, body: dict[str, Any], proposal_id: int, extra_excluded: str | None
) -> None:
    """Supersede the clicked proposal with a new one, optionally excluding one more person."""
    if not await admin_or_refuse(ctx, body):
        return
    user_id = body["user"]["id"]
    async with ctx.db.session() as session:
        proposal = await session.get(MatchProposal, proposal_id)
    if proposal is None or proposal.status != "open":
        await notify.dm(ctx, user_id, text("matching.stale"))
        return
    excluded = list(proposal.excluded or [])
    if extra_excluded and extra_excluded not in excluded:
        excluded.append(extra_excluded)
    await close_message(ctx, body, text("matching.superseded"))
    await notify.dm(ctx, user_id, await post_proposal(ctx, user_id, excluded, proposal.program_id))


async def rerun(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    proposal_id = db_id(body["actions"][0].get("value"))
    if proposal_id is not None:
        await rerun_from(app_context(context), body, proposal_id, None)


async def exclude(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    selected = (body["actions"][0].get("selected_option") or {}).get("value")
    data = parse_json(selected)
    proposal_id = db_id(data.get("p"))
    if proposal_id is not None and isinstance(data.get("k"), str):
        await rerun_from(app_context(context), body, proposal_id, data["k"][:100])


async def home_program(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    ctx = await admin_click(ack, body, context)
    if ctx is None:
        return
    problem = await open_program_modal(ctx, body["trigger_id"], [])
    await dm_reply(ctx, body["user"]["id"], problem)


async def home_report(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    ctx = await admin_click(ack, body, context)
    if ctx is None:
        return
    user_id = body["user"]["id"]
    try:
        async with ctx.db.session() as session:
            program = await reports.find_program(session, None)
            channel = reports.hr_channel_for(ctx, program)
            if channel is None:
                raise Refusal("reports.no_hr_channel")
            summary = await reports.summary(ctx, session, program, weeks=None)
            learning = await reports.learning(ctx, session, program)
    except Refusal as refusal:
        await notify.dm(ctx, user_id, refusal.message)
        return
    try:
        if not await post_report(ctx, channel, summary, learning=learning):
            await notify.dm(ctx, user_id, text("errors.try_again"))
    except notify.NotInChannel:
        await notify.dm(ctx, user_id, text("reports.not_in_channel", channel=channel))


async def home_match(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    ctx = await admin_click(ack, body, context)
    if ctx is None:
        return
    await notify.dm(ctx, body["user"]["id"], await post_proposal(ctx, body["user"]["id"], []))


async def on_at_risk(
    ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext
) -> tuple[AppContext, tuple[Pair, Participant, Participant]] | None:
    """Every at-risk button's first half: ack, then (context, the still-active pair the note is
    about) for an HR admin; None otherwise (a pair that has ended closes the note)."""
    ctx = await admin_click(ack, body, context)
    if ctx is None:
        return None
    pair_id = db_id(str(body["actions"][0].get("value") or ""))
    if pair_id is None:
        return None
    async with ctx.db.session() as session:
        found = await people.active_pair_members(session, pair_id)
    if found is None:
        await close_message(ctx, body, text("nudges.pair_gone"))
        return None
    return ctx, found


async def message_pair(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """A group DM of the admin and both people (HR cannot open the pair's own), with a hello."""
    clicked = await on_at_risk(ack, body, context)
    if clicked is None:
        return
    ctx, (_, sharer, learner) = clicked
    admin = body["user"]["id"]
    try:
        opened = await ctx.client.conversations_open(
            users=f"{admin},{sharer.slack_user_id},{learner.slack_user_id}"
        )
        channel = opened["channel"]["id"]
    except SLACK_ERRORS:
        await tell(ctx, body, text("errors.try_again"))
        return
    hello = text(
        "nudges.hr_hello", sharer=sharer.slack_user_id, learner=learner.slack_user_id, admin=admin
    )
    if await notify.post(ctx, channel, hello) is None:
        await tell(ctx, body, text("errors.try_again"))
        return
    await close_message(ctx, body, text("nudges.messaged", admin=admin, channel=channel))


async def suggest_repair(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """Each person privately gets the no-fault re-pair offer (the pairing-fit answers)."""
    clicked = await on_at_risk(ack, body, context)
    if clicked is None:
        return
    ctx, (pair, sharer, learner) = clicked
    for me, partner in ((sharer, learner), (learner, sharer)):
        await notify.dm(
            ctx,
            me.slack_user_id,
            text("nudges.repair_offer", partner=partner.slack_user_id),
            repair_offer_blocks(pair.id, partner.slack_user_id),
        )
    await close_message(ctx, body, text("nudges.repair_offered", admin=body["user"]["id"]))


async def dismiss_note(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    ctx = await admin_click(ack, body, context)
    if ctx is not None:
        await close_message(ctx, body, text("nudges.dismissed", admin=body["user"]["id"]))


def register(routes: Routes) -> None:
    routes.command("admin", admin_command)
    routes.view(ids.PROGRAM_CALLBACK, submit_program)
    routes.view(ids.CLOSE_CALLBACK, confirm_close)
    routes.action(ids.MATCH_APPROVE, approve)
    routes.action(ids.MATCH_RERUN, rerun)
    routes.action(ids.MATCH_EXCLUDE, exclude)
    routes.action(ids.HOME_ADMIN_PROGRAM, home_program)
    routes.action(ids.HOME_ADMIN_REPORT, home_report)
    routes.action(ids.HOME_ADMIN_MATCH, home_match)
    routes.action(ids.AT_RISK_MESSAGE, message_pair)
    routes.action(ids.AT_RISK_REPAIR, suggest_repair)
    routes.action(ids.AT_RISK_DISMISS, dismiss_note)
