"""Joining: `/mentoring join` opens the sign-up modal; submitting it saves the profile."""

from __future__ import annotations

import asyncio
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError

from bot import ids, notify, proposals
from bot.clock import earliest_today
from bot.context import AppContext
from bot.forms import MAX_DISPLAY_NAME, db_id, parse_join_choices, parse_signup
from bot.listeners import Replay, Routes, app_context
from bot.middleware import DATABASE_ERRORS, Repeated, parse_json, record_delivery
from bot.models import Program
from bot.outbox import (
    dm_reply,
    home_for,
    open_modal,
    publish_home,
    publish_rendered_home,
    reply,
)
from bot.services import participants as people
from bot.services import programs as cohorts
from bot.services import signups
from bot.texts import text
from bot.texts.mrkdwn import Mrkdwn, mention
from bot.views.signup import confirmation_dm, signup_modal

# How long the sign-up modal waits for the person's Slack profile (name, time zone). The modal
# must open within the trigger's 3 s; a burst of joins can use up users.info's rate limit
# (Tier 4), and waiting out Retry-After would open it too late. Without the profile the modal
# opens anyway: the time zone starts at the default and the name is left out.
PROFILE_WAIT = 1.0  # seconds


async def slack_profile(ctx: AppContext, user_id: str) -> tuple[str | None, str | None]:
    """(display name, time zone) from Slack; (None, None) if Slack can't say in time."""
    try:
        user = (await asyncio.wait_for(ctx.client.users_info(user=user_id), PROFILE_WAIT))["user"]
    except (SlackApiError, OSError, TimeoutError, KeyError):
        return None, None
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or profile.get("display_name")
    # Slack's limits on names are its own to change: keep what the column holds.
    return (name[:MAX_DISPLAY_NAME] if isinstance(name, str) else None) or None, user.get("tz")


async def open_signup(
    ctx: AppContext, trigger_id: str, user_id: str, program_id: int | None = None
) -> str | None:
    """Open the (prefilled) sign-up modal; returns a message for the person if Slack refused.
    With several programs open to the person it asks which; an invitation names one."""
    async with ctx.db.session() as session:
        found = await signups.joining(session, user_id)
        participant, org = found.participant, found.org
        catalogue = await ctx.topics.labels(session, found.topics_version)
        department = participant.department if participant else org.department if org else None
        choices = (  # a newcomer without org data has no department yet: the submission checks
            cohorts.open_to(department, found.open_programs)
            if participant or org
            else found.open_programs
        )
        invited = await session.get(Program, program_id) if program_id else None
        program = invited or (choices[0] if len(choices) == 1 else None)
        if program is None and len(choices) > 1 and participant is not None:
            program = next((p for p in choices if p.id == participant.program_id), None)
        ask_goal = participant is None or not await people.open_goals(session, participant)
    name, slack_timezone = await slack_profile(ctx, user_id)
    timezone = participant.timezone if participant else None
    view = signup_modal(
        catalogue=catalogue,
        timezone=timezone or slack_timezone or ctx.settings.default_timezone,
        participant=participant,
        program_name=program.name if program else None,
        ask_first_goal=ask_goal,
        display_name=name,
        program_choices=[(p.id, cohorts.label(p)) for p in choices]
        if invited is None and len(choices) > 1
        else None,
        program_id=invited.id if invited else None,
        org=org,
    )
    return await open_modal(ctx, trigger_id, view, command="join")


async def join(
    ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, context: AsyncBoltContext
) -> None:
    await ack()
    ctx = app_context(context)
    await reply(respond, await open_signup(ctx, command["trigger_id"], command["user_id"]))


async def join_next_round(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """The Join button of a next-round invitation: the sign-up modal for that program."""
    await ack()
    ctx = app_context(context)
    program_id = db_id(body["actions"][0].get("value"))
    problem = await open_signup(ctx, body["trigger_id"], body["user"]["id"], program_id)
    await dm_reply(ctx, body["user"]["id"], problem)


async def edit_profile(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    ctx = app_context(context)
    problem = await open_signup(ctx, body["trigger_id"], body["user"]["id"])
    await dm_reply(ctx, body["user"]["id"], problem)


def metadata_name(metadata: dict[str, Any]) -> str | None:
    """The Slack name the modal was opened with (see `signup_modal`), if it is a sane one."""
    name = metadata.get("name")
    return name[:120] if isinstance(name, str) and name.strip() else None


def confirmation(
    ctx: AppContext,
    user_id: str,
    name: str | None,
    *,
    created: bool,
    partner: Any,
    program: Any,
    enrolment: cohorts.Enrolment,
    kept_in: str | None,
) -> str:
    """The DM after saving: a welcome (or 'updated'), the program, and what happens next."""
    if program is None:
        what_next = enrolment.note or text("signup.no_program")
        if ctx.is_admin(user_id) and enrolment.note is None:
            what_next = Mrkdwn(f"{what_next} {text('signup.no_program_admin')}")
    elif kept_in is not None:
        what_next = text("programs.in_running_pair", name=kept_in)
    elif partner is not None:
        what_next = text("signup.what_next_paired", partner=mention(partner.slack_user_id))
    else:
        joined = text("programs.joined", name=program.name)
        what_next = Mrkdwn(f"{joined} {text('signup.what_next_matching')}")
    if not created:
        return text("signup.confirmation_updated", what_next=what_next)
    first_name = name.split()[0] if name else "there"
    return text("signup.confirmation", name=first_name, what_next=what_next)


async def submit(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    ctx = app_context(context)
    user_id = body["user"]["id"]
    metadata = parse_json(view.get("private_metadata"))
    name, now = metadata_name(metadata), ctx.clock.now()
    saved: signups.SignupSaved | None = None
    home: dict[str, Any] | None = None
    try:
        async with ctx.db.session() as session:
            await record_delivery(session, body, now)
            found = await signups.joining(session, user_id)
            catalogue = set(await ctx.topics.labels(session, found.topics_version))
            form, errors = parse_signup(
                view,
                user_id=user_id,
                today=earliest_today(now),
                catalogue=catalogue,
                with_goal=metadata.get("first_goal") is True,
            )
            if not errors:
                chosen_id, next_round = parse_join_choices(view)
                saved, errors = await signups.save_signup(
                    session,
                    user_id=user_id,
                    name=name,
                    form=form,
                    chosen_id=chosen_id,
                    invited_id=db_id(metadata.get("program_id")),
                    next_round=next_round,
                    now=now,
                    found=found,
                )
                if saved is not None and not saved.rematch_due:  # shows what was just saved
                    home = await home_for(
                        session,
                        ctx,
                        user_id,
                        known=saved.participant,
                        created_with=saved.added_goals if saved.created else None,
                    )
    except Repeated:
        await ack()  # stored by the first delivery
        return
    except DATABASE_ERRORS:
        await ack(response_action="errors", errors={ids.B_ROLE: text("errors.database_down")})
        return
    if errors or saved is None:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    message = confirmation(
        ctx,
        user_id,
        name,
        created=saved.created,
        partner=saved.partner,
        program=saved.program,
        enrolment=saved.enrolment,
        kept_in=saved.kept_in,
    )
    wants_to_learn = bool(saved.participant.learn_topics)
    rate_in = saved.program.id if saved.program is not None and wants_to_learn else None
    await notify.dm(ctx, user_id, *confirmation_dm(message, rate_in))
    if home is not None:
        await publish_rendered_home(ctx, user_id, home)
    else:  # the rematch may tell the joiner why they wait: their home shows it
        await proposals.rematch_for(ctx, [user_id], intro_key=proposals.LATE_JOINER)
        await publish_home(ctx, user_id)


def register(routes: Routes) -> None:
    routes.command("join", join, Replay.HARMLESS)
    routes.action(ids.HOME_EDIT_PROFILE, edit_profile, Replay.HARMLESS)
    routes.action(ids.NEXT_ROUND_JOIN, join_next_round, Replay.HARMLESS)
    routes.view(ids.SIGNUP_CALLBACK, submit, Replay.IN_TRANSACTION)
