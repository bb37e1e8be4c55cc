"""Joining: `/mentoring join` opens the sign-up modal; submitting it saves the profile."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from bot import ids, notify
from bot.context import AppContext
from bot.forms import parse_signup
from bot.handlers.home import publish_home
from bot.handlers.modals import open_modal
from bot.middleware import DATABASE_ERRORS, parse_json
from bot.services import participants as people
from bot.services.programs import open_program
from bot.texts import text
from bot.views.signup import signup_modal

log = logging.getLogger(__name__)


def earliest_today(now: dt.datetime) -> dt.date:
    """'Today' somewhere on Earth: a date before this is in the past for everyone."""
    return (now - dt.timedelta(hours=12)).date()


async def slack_profile(ctx: AppContext, user_id: str) -> tuple[str | None, str | None]:
    """(display name, time zone) from Slack; (None, None) if Slack can't say right now."""
    cached = ctx.profiles.get(user_id)
    if cached is not None:
        return cached
    try:
        user = (await ctx.client.users_info(user=user_id))["user"]
    except (SlackApiError, OSError, TimeoutError, KeyError):
        return None, None
    profile = user.get("profile") or {}
    name = profile.get("real_name") or user.get("real_name") or profile.get("display_name")
    ctx.profiles.put(user_id, name or None, user.get("tz"))
    return name or None, user.get("tz")


async def open_signup(ctx: AppContext, trigger_id: str, user_id: str) -> str | None:
    """Open the (prefilled) sign-up modal; returns a message for the person if Slack refused."""
    async with ctx.db.session() as session:
        participant = await people.get_participant(session, user_id)
        catalogue = await people.topic_catalogue(session)
        program = await open_program(session)
        ask_goal = participant is None or not await people.open_goals(session, participant)
    timezone = participant.timezone if participant else None
    if timezone is None:
        _, timezone = await slack_profile(ctx, user_id)
    view = signup_modal(
        catalogue=catalogue,
        timezone=timezone or ctx.settings.default_timezone,
        participant=participant,
        program_name=program.name if program else None,
        ask_first_goal=ask_goal,
    )
    return await open_modal(ctx, trigger_id, view, command="join")


def register(app: AsyncApp, ctx: AppContext) -> dict[str, Any]:
    """Listeners for the sign-up flow; returns the `join` subcommand."""

    async def join(command: dict[str, Any], args: list[str], respond: AsyncRespond) -> None:
        problem = await open_signup(ctx, command["trigger_id"], command["user_id"])
        if problem:
            await respond(text=problem, response_type="ephemeral")

    @app.action(ids.HOME_EDIT_PROFILE)
    async def edit_profile(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        problem = await open_signup(ctx, body["trigger_id"], body["user"]["id"])
        if problem:
            await notify.dm(ctx, body["user"]["id"], problem)

    @app.view(ids.SIGNUP_CALLBACK)
    async def submit(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        user_id = body["user"]["id"]
        metadata = parse_json(view.get("private_metadata"))
        now = ctx.clock.now()
        # Usually Slack told us moments ago, when `join` opened the modal: then the name is
        # stored with the profile, and no call or second transaction follows the ack.
        known = ctx.profiles.get(user_id)
        try:
            async with ctx.db.session() as session:
                catalogue = set(await people.topic_catalogue(session))
                form, errors = parse_signup(
                    view,
                    user_id=user_id,
                    today=earliest_today(now),
                    catalogue=catalogue,
                    with_goal=metadata.get("first_goal") is True,
                )
                if errors:
                    await ack(response_action="errors", errors=errors)
                    return
                program = await open_program(session)
                participant, created = await people.save_signup(
                    session,
                    user_id=user_id,
                    display_name=known[0] if known else None,
                    form=form,
                    program=program,
                    now=now,
                )
                paired = await people.active_pair(session, participant)
                partner = await people.partner_in(session, paired, participant) if paired else None
        except DATABASE_ERRORS:
            await ack(response_action="errors", errors={ids.B_ROLE: text("errors.database_down")})
            return
        await ack()

        name = known[0] if known else (await slack_profile(ctx, user_id))[0]
        if name and not known:
            async with ctx.db.session() as session:
                stored = await people.get_participant(session, user_id)
                if stored is not None:
                    stored.display_name = name
        if partner is not None:
            what_next = text("signup.what_next_paired", partner=f"<@{partner.slack_user_id}>")
        else:
            what_next = text("signup.what_next_matching")
        if program is None:
            what_next = text("signup.no_program")
            if ctx.is_admin(user_id):
                what_next += " " + text("signup.no_program_admin")
        if created:
            first_name = name.split()[0] if name else "there"
            message = text("signup.confirmation", name=first_name, what_next=what_next)
        else:
            message = text("signup.confirmation_updated", what_next=what_next)
        await notify.dm(ctx, user_id, message)
        await publish_home(ctx, user_id)

    return {"join": join}
