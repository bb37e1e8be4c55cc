"""HR admin flows: program setup, matching review and approval, the topic catalogue.

Every listener checks the actor, not only the slash command: a button click or a replayed view
submission from someone who is not an HR admin is refused and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from bot import ids, notify
from bot.context import AppContext
from bot.forms import db_id, parse_program, split_topics
from bot.handlers.home import publish_home
from bot.handlers.modals import open_modal
from bot.middleware import DATABASE_ERRORS, parse_json
from bot.models import MatchProposal, Program
from bot.scheduler.digest import hr_channel_for, post_report
from bot.scheduler.kickoffs import run_kickoffs
from bot.services import matching_service
from bot.services import participants as people
from bot.services.programs import open_program, save_program
from bot.texts import raw, text
from bot.views.admin import closed_proposal_blocks, program_modal, proposal_blocks

log = logging.getLogger(__name__)


def clicked_message(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """(channel, ts) of the message whose button was clicked, as Slack reports it."""
    container = body.get("container") or {}
    channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
    ts = container.get("message_ts") or (body.get("message") or {}).get("ts")
    return channel, ts


def register(app: AsyncApp, ctx: AppContext) -> dict[str, Any]:
    """Admin listeners; returns the `admin` subcommand."""

    async def refuse(body: dict[str, Any]) -> None:
        """Tell a non-admin, privately and where they clicked, that this is for HR admins."""
        user_id = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        log.info("admin action refused", extra={"user": user_id})
        try:
            if channel:
                await ctx.client.chat_postEphemeral(
                    channel=channel, user=user_id, text=text("errors.not_admin")
                )
            else:
                await notify.dm(ctx, user_id, text("errors.not_admin"))
        except (SlackApiError, OSError, TimeoutError):
            pass

    async def open_program_modal(trigger_id: str) -> str | None:
        async with ctx.db.session() as session:
            program = await open_program(session)
        view = program_modal(program, ctx.settings.hr_channel_id)
        return await open_modal(ctx, trigger_id, view, command="admin program")

    async def post_proposal(requested_by: str, excluded: list[str]) -> str:
        """Run matching and post the proposal to the HR channel; returns a note for the admin."""
        async with ctx.db.session() as session:
            program = await open_program(session)
            if program is None:
                return text("admin.no_program")
            channel = program.hr_channel_id or ctx.settings.hr_channel_id
            if not channel:
                return text("admin.no_hr_channel")
            proposal = await matching_service.propose(
                session, program, requested_by=requested_by, excluded=excluded, now=ctx.clock.now()
            )
            data, proposal_id, name = proposal.proposal, proposal.id, program.name
        if data["pool"] == 0:
            return text("admin.match_empty", program=name)
        blocks = proposal_blocks(name, proposal_id, data)
        fallback = text("matching.header", program=name)
        try:
            ts = await notify.post_to_channel(ctx, channel, fallback, blocks)
        except notify.NotInChannel:
            return text("admin.match_not_in_channel", channel=channel)
        if ts is None:
            return text("errors.try_again")
        async with ctx.db.session() as session:
            stored = await session.get(MatchProposal, proposal_id)
            assert stored is not None
            stored.channel_id, stored.message_ts = channel, ts
        return text(
            "admin.match_posted",
            channel=channel,
            pairs=len(data["pairs"]),
            unmatched=len(data["unmatched"]),
        )

    async def close_message(proposal: MatchProposal, note: str, body: dict[str, Any]) -> None:
        """Replace the clicked proposal's buttons with what happened to it."""
        channel, ts = clicked_message(body)
        if not (channel and ts):
            return
        original = (body.get("message") or {}).get("blocks") or []
        try:
            await ctx.client.chat_update(
                channel=channel,
                ts=ts,
                text=note,
                blocks=closed_proposal_blocks(original, note),
            )
        except (SlackApiError, OSError, TimeoutError):
            log.warning("proposal message not updated", extra={"proposal": proposal.id})

    async def admin(command: dict[str, Any], args: list[str], respond: AsyncRespond) -> None:
        user_id = command["user_id"]
        if not ctx.is_admin(user_id):
            await respond(text=text("errors.not_admin"), response_type="ephemeral")
            return
        action = args[0].lower() if args else ""
        if action == "program":
            problem = await open_program_modal(command["trigger_id"])
            if problem:
                await respond(text=problem, response_type="ephemeral")
        elif action == "match":
            await respond(text=await post_proposal(user_id, []), response_type="ephemeral")
        elif action == "topics":
            labels = split_topics(" ".join(args[1:]))
            if not labels:
                await respond(text=text("admin.topics_usage"), response_type="ephemeral")
                return
            async with ctx.db.session() as session:
                added = await people.add_topics(session, labels, user_id)
            message = (
                text("admin.topics_added", topics=", ".join(added))
                if added
                else text("admin.topics_none_new")
            )
            await respond(text=message, response_type="ephemeral")
        else:
            await respond(text=text("admin.unknown"), response_type="ephemeral")

    @app.view(ids.PROGRAM_CALLBACK)
    async def submit_program(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        if not ctx.is_admin(user_id):
            await ack(
                response_action="errors", errors={ids.B_PROGRAM_NAME: text("errors.not_admin")}
            )
            return
        program_id = parse_json(view.get("private_metadata")).get("program_id")
        today = (ctx.clock.now() - dt.timedelta(hours=12)).date()
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
                )
                summary = text(
                    "admin.program_saved",
                    name=program.name,
                    action="open" if created else "updated",
                    start=f"{program.start_date:%-d %b %Y}",
                    weeks=program.length_weeks,
                    cadence=dict(raw("admin.cadences"))[str(program.cadence_weeks)].lower(),
                    weekday=dict(raw("catalogue.days"))[program.checkin_weekday],
                    time=program.checkin_time.strftime("%H:%M"),
                    joined=joined,
                )
        except DATABASE_ERRORS:
            await ack(
                response_action="errors", errors={ids.B_PROGRAM_NAME: text("errors.database_down")}
            )
            return
        await ack()
        await notify.dm(ctx, user_id, summary)
        await publish_home(ctx, user_id)

    @app.action(ids.MATCH_APPROVE)
    async def approve(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        user_id = body["user"]["id"]
        if not ctx.is_admin(user_id):
            await refuse(body)
            return
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
        note = text("matching.approved", user=user_id, pairs=len(pairs))
        await close_message(proposal, note, body)
        counts = await run_kickoffs(ctx, program_id)
        for person in unmatched:
            await notify.dm(
                ctx, person["user"], text("matching.unmatched_dm", reason=person["reason"])
            )
        channel, _ = clicked_message(body)
        if channel:
            await notify.post(
                ctx,
                channel,
                text("matching.kickoff_done", sent=counts.sent, failed=counts.failed),
            )

    async def rerun_from(
        body: dict[str, Any], proposal_id: int, extra_excluded: str | None
    ) -> None:
        user_id = body["user"]["id"]
        if not ctx.is_admin(user_id):
            await refuse(body)
            return
        async with ctx.db.session() as session:
            proposal = await session.get(MatchProposal, proposal_id)
        if proposal is None or proposal.status != "open":
            await notify.dm(ctx, user_id, text("matching.stale"))
            return
        excluded = list(proposal.excluded or [])
        if extra_excluded and extra_excluded not in excluded:
            excluded.append(extra_excluded)
        await close_message(proposal, text("matching.superseded"), body)
        await notify.dm(ctx, user_id, await post_proposal(user_id, excluded))

    @app.action(ids.MATCH_RERUN)
    async def rerun(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        proposal_id = db_id(body["actions"][0].get("value"))
        if proposal_id is not None:
            await rerun_from(body, proposal_id, None)

    @app.action(ids.MATCH_EXCLUDE)
    async def exclude(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        selected = (body["actions"][0].get("selected_option") or {}).get("value")
        data = parse_json(selected)
        proposal_id = db_id(data.get("p"))
        if proposal_id is not None and isinstance(data.get("k"), str):
            await rerun_from(body, proposal_id, data["k"][:100])

    @app.action(ids.HOME_ADMIN_PROGRAM)
    async def home_program(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if not ctx.is_admin(body["user"]["id"]):
            await refuse(body)
            return
        problem = await open_program_modal(body["trigger_id"])
        if problem:
            await notify.dm(ctx, body["user"]["id"], problem)

    @app.action(ids.HOME_ADMIN_REPORT)
    async def home_report(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        user_id = body["user"]["id"]
        if not ctx.is_admin(user_id):
            await refuse(body)
            return
        async with ctx.db.session() as session:
            program = await open_program(session)
        channel = hr_channel_for(ctx, program)
        if program is None or channel is None:
            await notify.dm(
                ctx,
                user_id,
                text("reports.no_program" if program is None else "reports.no_hr_channel"),
            )
            return
        if not await post_report(ctx, program, channel, weeks=None):
            await notify.dm(ctx, user_id, text("errors.try_again"))

    @app.action(ids.HOME_ADMIN_MATCH)
    async def home_match(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        if not ctx.is_admin(body["user"]["id"]):
            await refuse(body)
            return
        await notify.dm(ctx, body["user"]["id"], await post_proposal(body["user"]["id"], []))

    return {"admin": admin}
