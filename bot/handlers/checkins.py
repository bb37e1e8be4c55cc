"""Answering check-ins in the pair's group DM: buttons, private feedback, surveys, pairing fit."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext
from sqlalchemy.exc import IntegrityError

from bot import ids, notify, proposals
from bot.context import AppContext
from bot.forms import db_id, parse_feedback, parse_repair, parse_survey
from bot.listeners import app_context
from bot.middleware import DATABASE_ERRORS, parse_json
from bot.models import Attendance, Pair, Participant
from bot.outbox import (
    cancel_meeting_series,
    confidence_view,
    open_on_click,
    publish_home,
    redraw_checkin,
    tell,
)
from bot.refusals import Refusal
from bot.services import checkins as answers
from bot.services import pairing, reports
from bot.services import participants as people
from bot.texts import text
from bot.views.checkin import feedback_modal, fit_question_blocks, repair_modal, survey_modal

ATTENDANCE_BUTTONS = {
    ids.CHECKIN_MET: Attendance.MET,
    ids.CHECKIN_LATER: Attendance.SCHEDULED,
    ids.CHECKIN_SKIP: Attendance.SKIPPED,
}


def checkin_id_of(body: dict[str, Any]) -> int | None:
    return db_id(str(body["actions"][0].get("value") or "").split(":")[0])


async def ask_pairing_fit(ctx: AppContext, pair_id: int) -> None:
    """After the first meeting, ask each person privately whether the pairing works (once)."""
    try:
        async with ctx.db.session() as session:
            sharer, learner = await pairing.mark_fit_question(session, pair_id, ctx.clock.now())
    except IntegrityError:
        return  # already asked
    for me, partner in ((sharer, learner), (learner, sharer)):
        await notify.dm(
            ctx,
            me.slack_user_id,
            text("fit.question", partner=partner.slack_user_id),
            fit_question_blocks(pair_id, partner.slack_user_id),
        )


async def attendance(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    ctx = app_context(context)
    checkin_id = checkin_id_of(body)
    if checkin_id is None:
        return
    choice = ATTENDANCE_BUTTONS[body["actions"][0]["action_id"]]
    try:
        async with ctx.db.session() as session:
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            first = await answers.record_attendance(session, scope, choice)
            status = await answers.answered_status(session, scope.checkin)
    except Refusal as refusal:  # told after the transaction, never while holding it
        await tell(ctx, body, refusal.message)
        return
    await redraw_checkin(ctx, scope.checkin, status)
    await tell(ctx, body, text(f"checkin.recorded.{choice.value}"))
    if first:
        await ask_pairing_fit(ctx, scope.pair.id)


async def rate(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    ctx = app_context(context)
    checkin_id = checkin_id_of(body)
    if checkin_id is None:
        return
    rating = 1 if body["actions"][0]["action_id"] == ids.CHECKIN_THUMBS_UP else -1
    try:
        async with ctx.db.session() as session:
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            await answers.rate_prompt(session, scope, rating)
    except Refusal as refusal:
        await tell(ctx, body, refusal.message)
        return
    await tell(ctx, body, text("checkin.rated"))


async def open_feedback(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    ctx = app_context(context)
    checkin_id = checkin_id_of(body)
    if checkin_id is None:
        return
    try:
        async with ctx.db.session() as session:
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            response = await answers.ensure_response(session, checkin_id, scope.me.id)
            goals = await people.open_goals(session, scope.me)
            view = feedback_modal(
                checkin_id=checkin_id,
                response=response,
                goals=goals,
                quote_default=scope.me.consent_quote,
            )
    except Refusal as refusal:
        await tell(ctx, body, refusal.message)
        return
    await open_on_click(ctx, body, view)


async def submit_feedback(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    ctx = app_context(context)
    metadata = parse_json(view.get("private_metadata"))
    checkin_id = db_id(metadata.get("checkin_id"))
    goal_list = metadata.get("goal_ids")
    goal_ids = [g for g in map(db_id, goal_list if isinstance(goal_list, list) else []) if g]
    form, errors = parse_feedback(view, goal_ids)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    try:
        async with ctx.db.session() as session:
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            first = await answers.save_feedback(session, scope, form, ctx.clock.now())
            status = await answers.answered_status(session, scope.checkin)
    except Refusal as refusal:
        await ack(response_action="errors", errors={ids.B_FB_MET: refusal.message})
        return
    except DATABASE_ERRORS:
        await ack(response_action="errors", errors={ids.B_FB_MET: text("errors.database_down")})
        return
    await ack()
    await redraw_checkin(ctx, scope.checkin, status)
    await publish_home(ctx, body["user"]["id"])
    if first:
        await ask_pairing_fit(ctx, scope.pair.id)


async def open_survey(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    ctx = app_context(context)
    checkin_id = checkin_id_of(body)
    kind = str(body["actions"][0].get("value") or "").partition(":")[2]
    if checkin_id is None or kind not in answers.SURVEY_KINDS:
        return
    try:
        async with ctx.db.session() as session:
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            existing = await answers.survey_answer(session, scope, kind)
            view = survey_modal(checkin_id=checkin_id, kind=kind, existing=existing)
    except Refusal as refusal:
        await tell(ctx, body, refusal.message)
        return
    await open_on_click(ctx, body, view)


async def submit_survey(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    ctx = app_context(context)
    metadata = parse_json(view.get("private_metadata"))
    form, errors = parse_survey(view)
    if errors or form is None:
        await ack(response_action="errors", errors=errors)
        return
    try:
        async with ctx.db.session() as session:
            kind = answers.survey_kind(metadata.get("kind"))
            checkin_id = db_id(metadata.get("checkin_id"))
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            await answers.save_survey(session, scope, kind, form)
            program_id = scope.pair.program_id
    except Refusal as refusal:
        await ack(response_action="errors", errors={ids.B_SV_RECOMMEND: refusal.message})
        return
    # The end survey asks again how confident they are in what they wanted to learn.
    again = (
        await confidence_view(ctx, body["user"]["id"], program_id, "after")
        if kind == "end"
        else None
    )
    if again is not None:
        await ack(response_action="update", view=again)
    else:
        await ack()


def fit_pair_id(body: dict[str, Any]) -> int | None:
    """The pair a fit answer is about: the button's value, or the repair modal's metadata."""
    value = str(body["actions"][0].get("value") or "") if body.get("actions") else ""
    metadata = parse_json((body.get("view") or {}).get("private_metadata"))
    return db_id(value) or db_id(metadata.get("pair_id"))


async def record_fit(
    ctx: AppContext, body: dict[str, Any], *, works: bool, reason: str | None = None
) -> tuple[Pair, Participant, Participant] | None:
    """Store the person's private answer; returns (pair, me, partner) if they may give it."""
    pair_id = fit_pair_id(body)
    if pair_id is None:
        return None
    async with ctx.db.session() as session:
        return await pairing.record_fit(
            session, pair_id, body["user"]["id"], works=works, reason=reason, now=ctx.clock.now()
        )


async def fit_works(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    ctx = app_context(context)
    await record_fit(ctx, body, works=True)
    await tell(ctx, body, text("fit.thanks"))


async def fit_repair(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await ack()
    pair_id = db_id(str(body["actions"][0].get("value") or ""))
    if pair_id is None:
        return
    await open_on_click(app_context(context), body, repair_modal(pair_id))


async def submit_repair(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    reason, errors = parse_repair(view)
    if errors:
        await ack(response_action="errors", errors=errors)
        return
    await ack()
    ctx = app_context(context)
    result = await record_fit(ctx, body, works=False, reason=reason or None)
    if result is None:
        return
    pair, me, partner = result
    await cancel_meeting_series(ctx, pair.id)
    await notify.dm(ctx, me.slack_user_id, text("fit.repaired"))
    await notify.dm(ctx, partner.slack_user_id, text("fit.partner_told", partner=me.slack_user_id))
    sharer, learner = (me, partner) if pair.sharer_id == me.id else (partner, me)
    async with ctx.db.session() as session:
        channel = await reports.hr_channel_of(ctx, session, pair.program_id)
    await notify.hr(
        ctx,
        text("fit.hr_note", sharer=sharer.slack_user_id, learner=learner.slack_user_id),
        channel=channel,
    )
    await proposals.rematch_for(
        ctx, [me.slack_user_id, partner.slack_user_id], intro_key=proposals.STRANDED
    )
    # The private reason is shown only in HR admins' own App Home, never in a channel.
    for user_id in (me.slack_user_id, partner.slack_user_id, *ctx.settings.hr_admin_ids):
        await publish_home(ctx, user_id)


def register(app: AsyncApp) -> None:
    for action_id in ATTENDANCE_BUTTONS:
        app.action(action_id)(attendance)
    app.action(ids.CHECKIN_THUMBS_UP)(rate)
    app.action(ids.CHECKIN_THUMBS_DOWN)(rate)
    app.action(ids.CHECKIN_FEEDBACK)(open_feedback)
    app.view(ids.FEEDBACK_CALLBACK)(submit_feedback)
    app.action(ids.CHECKIN_SURVEY)(open_survey)
    app.view(ids.SURVEY_CALLBACK)(submit_survey)
    app.action(ids.FIT_WORKS)(fit_works)
    app.action(ids.FIT_REPAIR)(fit_repair)
    app.view(ids.REPAIR_CALLBACK)(submit_repair)
