"""Answering check-ins in the pair's group DM: buttons, private feedback, surveys, pairing fit."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import ids, notify
from bot.context import AppContext
from bot.forms import StateReader, db_id, parse_feedback, parse_survey
from bot.handlers.home import publish_home
from bot.middleware import DATABASE_ERRORS, parse_json
from bot.models import (
    Attendance,
    Checkin,
    Nudge,
    Pair,
    PairingFeedback,
    SurveyResponse,
)
from bot.services import checkins as answers
from bot.services import participants as people
from bot.texts import text
from bot.views.checkin import (
    checkin_blocks,
    feedback_modal,
    fit_question_blocks,
    repair_modal,
    survey_modal,
)

log = logging.getLogger(__name__)
SLACK_ERRORS = (SlackApiError, OSError, TimeoutError)
ATTENDANCE_BUTTONS = {
    ids.CHECKIN_MET: Attendance.MET,
    ids.CHECKIN_LATER: Attendance.SCHEDULED,
    ids.CHECKIN_SKIP: Attendance.SKIPPED,
}


def prompt_text(ctx: AppContext, prompt_id: str | None) -> str:
    prompt = next((p for p in ctx.prompts if p.id == prompt_id), None)
    return prompt.text if prompt else ""


async def redraw_checkin(ctx: AppContext, checkin: Checkin, status: list[tuple[str, bool]]) -> None:
    """Redraw the check-in so it shows who has answered (never what).

    `status` is read in the answer's own transaction (`answers.answered_status`), where the pair
    and both people are already loaded: a second transaction re-reading them cost a third of a
    click's CPU.
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


async def tell(ctx: AppContext, body: dict[str, Any], message: str) -> None:
    """An ephemeral note where the person clicked (their group DM), or a DM otherwise."""
    user_id = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id")
    try:
        if channel:
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


def checkin_id_of(body: dict[str, Any]) -> int | None:
    return db_id(str(body["actions"][0].get("value") or "").split(":")[0])


async def ask_pairing_fit(ctx: AppContext, scope: answers.CheckinScope) -> None:
    """After the first meeting, ask each person privately whether the pairing works (once)."""
    try:
        async with ctx.db.session() as session:
            session.add(
                Nudge(
                    pair_id=scope.pair.id,
                    kind="fit_question",
                    period_key="first",
                    sent_at=ctx.clock.now(),
                )
            )
    except IntegrityError:
        return  # already asked
    me, partner = scope.me, scope.partner
    sharer, learner = (me, partner) if me.id == scope.pair.sharer_id else (partner, me)
    for asked, other in ((sharer, learner), (learner, sharer)):
        await notify.dm(
            ctx,
            asked.slack_user_id,
            text("fit.question", partner=other.slack_user_id),
            fit_question_blocks(scope.pair.id, other.slack_user_id),
        )


def register(app: AsyncApp, ctx: AppContext) -> None:
    async def refused(body: dict[str, Any], scope: object) -> bool:
        """Tell a person why they may not answer; True if so. Called after the transaction: a
        Slack call inside one held its connection (and SQLite's turn) through every retry."""
        if isinstance(scope, str):
            await tell(ctx, body, text(f"checkin.{scope}"))
            return True
        return False

    async def attendance(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        checkin_id = checkin_id_of(body)
        if checkin_id is None:
            return
        choice = ATTENDANCE_BUTTONS[body["actions"][0]["action_id"]]
        async with ctx.db.session() as session:
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            if not isinstance(scope, str):
                await answers.record_attendance(session, scope, choice)
                first = choice == Attendance.MET and await answers.first_meeting(
                    session, scope.pair.id
                )
                status = await answers.answered_status(session, scope.checkin)
        if await refused(body, scope):
            return
        await redraw_checkin(ctx, scope.checkin, status)
        await tell(ctx, body, text(f"checkin.recorded.{choice.value}"))
        if first:
            await ask_pairing_fit(ctx, scope)

    for action_id in ATTENDANCE_BUTTONS:
        app.action(action_id)(attendance)

    async def rate(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        checkin_id = checkin_id_of(body)
        if checkin_id is None:
            return
        rating = 1 if body["actions"][0]["action_id"] == ids.CHECKIN_THUMBS_UP else -1
        async with ctx.db.session() as session:
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            if not isinstance(scope, str):
                await answers.rate_prompt(session, scope, rating)
        if await refused(body, scope):
            return
        await tell(ctx, body, text("checkin.rated"))

    app.action(ids.CHECKIN_THUMBS_UP)(rate)
    app.action(ids.CHECKIN_THUMBS_DOWN)(rate)

    @app.action(ids.CHECKIN_FEEDBACK)
    async def open_feedback(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        checkin_id = checkin_id_of(body)
        if checkin_id is None:
            return
        async with ctx.db.session() as session:
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            if not isinstance(scope, str):
                response = await answers.ensure_response(session, checkin_id, scope.me.id)
                goals = await people.open_goals(session, scope.me)
                view = feedback_modal(
                    checkin_id=checkin_id,
                    response=response,
                    goals=goals,
                    quote_default=scope.me.consent_quote,
                )
        if await refused(body, scope):
            return
        await open_on_click(ctx, body, view)

    @app.view(ids.FEEDBACK_CALLBACK)
    async def submit_feedback(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
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
                scope = (
                    await answers.scope_for(session, checkin_id, body["user"]["id"])
                    if checkin_id is not None
                    else "gone"
                )
                if isinstance(scope, str):
                    await ack(
                        response_action="errors", errors={ids.B_FB_MET: text(f"checkin.{scope}")}
                    )
                    return
                await answers.save_feedback(
                    session,
                    scope,
                    answers.FeedbackInput(
                        attendance=Attendance(form.attendance),
                        usefulness=form.usefulness,
                        candour=form.candour,
                        learned=form.learned,
                        blockers=form.blockers,
                        quote_ok=form.quote_ok,
                        goal_progress=form.goal_progress,
                    ),
                    ctx.clock.now(),
                )
                first = form.attendance == "met" and await answers.first_meeting(
                    session, scope.pair.id
                )
                status = await answers.answered_status(session, scope.checkin)
        except DATABASE_ERRORS:
            await ack(response_action="errors", errors={ids.B_FB_MET: text("errors.database_down")})
            return
        await ack()
        await redraw_checkin(ctx, scope.checkin, status)
        await publish_home(ctx, body["user"]["id"])
        if first:
            await ask_pairing_fit(ctx, scope)

    @app.action(ids.CHECKIN_SURVEY)
    async def open_survey(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        checkin_id = checkin_id_of(body)
        kind = str(body["actions"][0].get("value") or "").partition(":")[2]
        if checkin_id is None or kind not in ("mid", "end"):
            return
        async with ctx.db.session() as session:
            scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
            if not isinstance(scope, str):
                existing = await session.scalar(
                    select(SurveyResponse).where(
                        SurveyResponse.program_id == scope.pair.program_id,
                        SurveyResponse.participant_id == scope.me.id,
                        SurveyResponse.kind == kind,
                    )
                )
                view = survey_modal(checkin_id=checkin_id, kind=kind, existing=existing)
        if await refused(body, scope):
            return
        await open_on_click(ctx, body, view)

    @app.view(ids.SURVEY_CALLBACK)
    async def submit_survey(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        metadata = parse_json(view.get("private_metadata"))
        checkin_id, kind = db_id(metadata.get("checkin_id")), metadata.get("kind")
        form, errors = parse_survey(view)
        if errors or form is None:
            await ack(response_action="errors", errors=errors)
            return
        async with ctx.db.session() as session:
            scope = (
                await answers.scope_for(session, checkin_id, body["user"]["id"])
                if checkin_id is not None and kind in ("mid", "end")
                else "gone"
            )
            if isinstance(scope, str):
                await ack(
                    response_action="errors", errors={ids.B_SV_RECOMMEND: text(f"checkin.{scope}")}
                )
                return
            await answers.save_survey(
                session,
                scope,
                kind=kind,
                recommend=form.recommend,
                attainment=form.attainment,
                changed=form.changed,
                quote_ok=form.quote_ok,
            )
        await ack()

    @app.action(ids.FIT_WORKS)
    async def fit_works(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        await record_fit(body, works=True)
        await tell(ctx, body, text("fit.thanks"))

    @app.action(ids.FIT_REPAIR)
    async def fit_repair(ack: AsyncAck, body: dict[str, Any]) -> None:
        await ack()
        pair_id = db_id(str(body["actions"][0].get("value") or ""))
        if pair_id is None:
            return
        await open_on_click(ctx, body, repair_modal(pair_id))

    async def record_fit(
        body: dict[str, Any], *, works: bool, reason: str | None = None
    ) -> tuple | None:
        """Store the person's private answer; returns (pair, me, partner) if they may give it."""
        value = str(body["actions"][0].get("value") or "") if body.get("actions") else ""
        pair_id = db_id(value) or db_id(
            parse_json((body.get("view") or {}).get("private_metadata")).get("pair_id")
        )
        if pair_id is None:
            return None
        async with ctx.db.session() as session:
            pair = await session.get(Pair, pair_id)
            me = await people.get_participant(session, body["user"]["id"])
            if pair is None or me is None or me.id not in (pair.sharer_id, pair.learner_id):
                return None
            partner = await people.partner_in(session, pair, me)
            feedback = await session.scalar(
                select(PairingFeedback).where(
                    PairingFeedback.pair_id == pair.id, PairingFeedback.participant_id == me.id
                )
            )
            if feedback is None:
                session.add(
                    PairingFeedback(
                        pair_id=pair.id,
                        participant_id=me.id,
                        works=works,
                        repair_requested=not works,
                        private_reason=reason,
                    )
                )
            if not works and pair.status == "active":
                await people.end_pair(session, pair, "repair", ctx.clock.now())
            return pair, me, partner

    @app.view(ids.REPAIR_CALLBACK)
    async def submit_repair(ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()
        reason = StateReader(view).text(ids.B_REPAIR_REASON, ids.A_REPAIR_REASON)[:1500]
        result = await record_fit(body, works=False, reason=reason or None)
        if result is None:
            return
        pair, me, partner = result
        await notify.dm(ctx, me.slack_user_id, text("fit.repaired"))
        await notify.dm(
            ctx, partner.slack_user_id, text("fit.partner_told", partner=me.slack_user_id)
        )
        note = f" Private reason: “{reason}”" if reason else ""
        await notify.hr(ctx, text("fit.hr_note", channel=pair.dm_channel_id or "", reason=note))
        await publish_home(ctx, me.slack_user_id)
        await publish_home(ctx, partner.slack_user_id)
