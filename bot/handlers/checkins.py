"""Answering check-ins in the pair's group DM: buttons, private feedback, surveys, pairing fit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from sqlalchemy.ext.asyncio import AsyncSession

from bot import ids, notify, proposals
from bot.context import AppContext
from bot.forms import db_id, parse_feedback, parse_repair, parse_survey
from bot.listeners import Replay, Routes, app_context
from bot.middleware import Repeated, parse_json, record_delivery
from bot.models import Attendance, Pair, Participant
from bot.outbox import (
    cancel_meeting_series,
    confidence_view,
    open_on_click,
    publish_home,
    redraw_checkin,
    tell,
    transact_or_field_error,
    transact_or_tell,
)
from bot.services import checkins as answers
from bot.services import pairing, reports, surveys
from bot.services import participants as people
from bot.texts import text
from bot.views.checkin import feedback_modal, fit_question_blocks, repair_modal, survey_modal

T = TypeVar("T")
ATTENDANCE_BUTTONS = {
    ids.CHECKIN_MET: Attendance.MET,
    ids.CHECKIN_LATER: Attendance.SCHEDULED,
    ids.CHECKIN_SKIP: Attendance.SKIPPED,
}


def checkin_id_of(body: dict[str, Any]) -> int | None:
    return db_id(str(body["actions"][0].get("value") or "").split(":")[0])


async def ask_pairing_fit(ctx: AppContext, scope: answers.CheckinScope) -> None:
    """After the first meeting, ask each person privately whether the pairing works (once:
    the answer's transaction claimed the asking, `pairing.claim_fit_question`)."""
    pair_id = scope.pair.id
    sharer, learner = (
        (scope.me, scope.partner)
        if scope.me.id == scope.pair.sharer_id
        else (scope.partner, scope.me)
    )
    for me, partner in ((sharer, learner), (learner, sharer)):
        await notify.dm(
            ctx,
            me.slack_user_id,
            text("fit.question", partner=partner.slack_user_id),
            fit_question_blocks(pair_id, partner.slack_user_id),
        )


async def on_click(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    work: Callable[[AsyncSession, answers.CheckinScope], Awaitable[T]],
) -> tuple[AppContext, T] | None:
    """Every check-in button's first half: ack, read the check-in, then in one transaction the
    delivery's record (a repeat is dropped), the clicker's scope (refused for anyone outside the
    pair, or a check-in that is gone) and `work`. None when there is nothing more to do: a
    refusal was told where they clicked, or the click was a repeat."""
    await ack()
    ctx = app_context(context)
    checkin_id = checkin_id_of(body)
    if checkin_id is None:
        return None
    user_id = body["user"]["id"]

    async def scoped(session: AsyncSession) -> T:
        await record_delivery(session, body, ctx.clock.now())
        return await work(session, await answers.scope_for(session, checkin_id, user_id))

    try:
        result = await transact_or_tell(ctx, body, scoped)
    except Repeated:
        return None
    return None if result is None else (ctx, result)


Answered = tuple[answers.CheckinScope, bool, list[tuple[str, bool]]]


async def attended(
    choice: Attendance,
    context: AsyncBoltContext,
    session: AsyncSession,
    scope: answers.CheckinScope,
) -> Answered:
    """(scope, whether to ask the pair if the pairing works, who has answered)."""
    due = await answers.record_attendance(session, scope, choice)
    now = app_context(context).clock.now()
    ask = due and await pairing.claim_fit_question(session, scope.pair.id, now)
    return scope, ask, await answers.answered_status(session, scope.checkin)


async def rated(
    rating: int, session: AsyncSession, scope: answers.CheckinScope
) -> answers.CheckinScope:
    await answers.rate_prompt(session, scope, rating)
    return scope


async def feedback_form(session: AsyncSession, scope: answers.CheckinScope) -> dict[str, Any]:
    """The private feedback modal, prefilled with the person's earlier answer and open goals."""
    return feedback_modal(
        checkin_id=scope.checkin.id,
        response=await answers.ensure_response(session, scope),
        goals=await people.open_goals(session, scope.me),
        quote_default=scope.me.consent_quote,
    )


async def survey_form(
    kind: str, session: AsyncSession, scope: answers.CheckinScope
) -> dict[str, Any]:
    await surveys.require_answerable(session, scope.checkin, kind)
    existing = await answers.survey_answer(session, scope, kind)
    return survey_modal(checkin_id=scope.checkin.id, kind=kind, existing=existing)


async def attendance(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    choice = ATTENDANCE_BUTTONS[body["actions"][0]["action_id"]]
    done = await on_click(ack, body, context, partial(attended, choice, context))
    if done is None:
        return
    ctx, (scope, ask, status) = done
    await redraw_checkin(ctx, scope.checkin, status)
    await tell(ctx, body, text(f"checkin.recorded.{choice.value}"))
    if ask:
        await ask_pairing_fit(ctx, scope)


async def rate(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    rating = 1 if body["actions"][0]["action_id"] == ids.CHECKIN_THUMBS_UP else -1
    done = await on_click(ack, body, context, partial(rated, rating))
    if done is not None:
        ctx, _ = done
        await tell(ctx, body, text("checkin.rated"))


async def open_on_checkin(
    ack: AsyncAck,
    body: dict[str, Any],
    context: AsyncBoltContext,
    form: Callable[[AsyncSession, answers.CheckinScope], Awaitable[dict[str, Any]]],
) -> None:
    """A check-in button that opens a modal (`form` builds it in the click's transaction)."""
    done = await on_click(ack, body, context, form)
    if done is not None:
        ctx, view = done
        await open_on_click(ctx, body, view)


async def open_feedback(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    await open_on_checkin(ack, body, context, feedback_form)


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

    async def saved(session: AsyncSession) -> Answered:
        scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
        now = ctx.clock.now()
        due = await answers.save_feedback(session, scope, form, now)
        ask = due and await pairing.claim_fit_question(session, scope.pair.id, now)
        return scope, ask, await answers.answered_status(session, scope.checkin)

    done = await transact_or_field_error(ctx, ack, ids.B_FB_MET, saved)
    if done is None:
        return
    scope, ask, status = done
    await ack()
    await redraw_checkin(ctx, scope.checkin, status)
    await publish_home(ctx, body["user"]["id"])
    if ask:
        await ask_pairing_fit(ctx, scope)


async def open_survey(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    kind = str(body["actions"][0].get("value") or "").partition(":")[2]
    if kind not in answers.SURVEY_KINDS:
        await ack()
        return
    await open_on_checkin(ack, body, context, partial(survey_form, kind))


async def submit_survey(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    ctx = app_context(context)
    metadata = parse_json(view.get("private_metadata"))
    form, errors = parse_survey(view)
    if errors or form is None:
        await ack(response_action="errors", errors=errors)
        return

    async def saved(session: AsyncSession) -> tuple[int, str]:
        kind = answers.survey_kind(metadata.get("kind"))
        checkin_id = db_id(metadata.get("checkin_id"))
        scope = await answers.scope_for(session, checkin_id, body["user"]["id"])
        await surveys.require_answerable(session, scope.checkin, kind)
        await answers.save_survey(session, scope, kind, form)
        return scope.pair.program_id, kind

    done = await transact_or_field_error(ctx, ack, ids.B_SV_RECOMMEND, saved)
    if done is None:
        return
    program_id, kind = done
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


def register(routes: Routes) -> None:
    for action_id in ATTENDANCE_BUTTONS:
        routes.action(action_id, attendance, Replay.IN_TRANSACTION)
    routes.action(ids.CHECKIN_THUMBS_UP, rate, Replay.IN_TRANSACTION)
    routes.action(ids.CHECKIN_THUMBS_DOWN, rate, Replay.IN_TRANSACTION)
    routes.action(ids.CHECKIN_FEEDBACK, open_feedback, Replay.IN_TRANSACTION)
    routes.view(ids.FEEDBACK_CALLBACK, submit_feedback)
    routes.action(ids.CHECKIN_SURVEY, open_survey, Replay.IN_TRANSACTION)
    routes.view(ids.SURVEY_CALLBACK, submit_survey)
    routes.action(ids.FIT_WORKS, fit_works)
    routes.action(ids.FIT_REPAIR, fit_repair)
    routes.view(ids.REPAIR_CALLBACK, submit_repair)
