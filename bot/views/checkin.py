"""The weekly check-in message, the private feedback and survey modals, the pairing-fit question."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot import ids
from bot.forms import MAX_FEEDBACK_TEXT
from bot.models import Goal, Response, SurveyResponse
from bot.texts import raw, text
from bot.views import blocks as b
from bot.views.goals import goal_line

RATINGS = [(str(n), str(n)) for n in range(1, 6)]


def answered_line(status: list[tuple[str, bool]]) -> str:
    """Who has answered, never what: '✅ <@U1> · ⏳ <@U2>'."""
    return "  ·  ".join(f"{'✅' if done else '⏳'} <@{user}>" for user, done in status)


def checkin_blocks(
    *,
    checkin_id: int,
    week: int,
    prompt_text: str,
    survey: str | None,
    status: list[tuple[str, bool]],
) -> list[dict[str, Any]]:
    value = str(checkin_id)
    title = (
        text("checkin.survey_header", week=week, survey=raw("checkin.survey_names")[survey])
        if survey
        else text("checkin.header", week=week)
    )
    buttons = [
        b.button(text("checkin.met"), ids.CHECKIN_MET, value, style="primary"),
        b.button(text("checkin.later"), ids.CHECKIN_LATER, value),
        b.button(text("checkin.skip"), ids.CHECKIN_SKIP, value),
        b.button(text("checkin.feedback"), ids.CHECKIN_FEEDBACK, value),
    ]
    if survey:
        buttons.append(survey_button(checkin_id, survey))
    return [
        b.header(title),
        b.section(text("checkin.intro")),
        b.section(text("checkin.prompt", prompt=prompt_text)),
        b.actions(*buttons, block_id=f"checkin_{checkin_id}"),
        b.actions(
            b.button(text("checkin.thumbs_up"), ids.CHECKIN_THUMBS_UP, value),
            b.button(text("checkin.thumbs_down"), ids.CHECKIN_THUMBS_DOWN, value),
            block_id=f"rate_{checkin_id}",
        ),
        b.context(answered_line(status)),
    ]


def survey_button(checkin_id: int, survey: str) -> dict[str, Any]:
    """Opens the `survey` ("mid" or "end") survey, answered in the scope of a posted check-in."""
    label = text("checkin.survey_button", survey=raw("checkin.survey_names")[survey])
    return b.button(label, ids.CHECKIN_SURVEY, f"{checkin_id}:{survey}")


def cancelled_checkin_blocks(week: int, end_survey_on: int | None = None) -> list[dict[str, Any]]:
    """A check-in whose week the pair cancelled ("We can't meet this week"): nothing to answer,
    except the end survey when this check-in carried it (`end_survey_on`: the posted check-in
    the survey is answered on), which no later check-in will bring."""
    if end_survey_on is None:
        return [
            b.header(text("checkin.header", week=week)),
            b.section(text("checkin.cancelled", week=week)),
        ]
    name = raw("checkin.survey_names")["end"]
    return [
        b.header(text("checkin.header", week=week)),
        b.section(text("checkin.cancelled_survey", week=week, survey=name)),
        b.actions(survey_button(end_survey_on, "end"), block_id=f"survey_{end_survey_on}"),
    ]


def end_survey_blocks(checkin_id: int) -> list[dict[str, Any]]:
    """The end survey on its own, for a pair whose cancelled last week left no check-in to
    bring it (`checkin_id`: the pair's latest posted check-in, which the survey is answered on)."""
    name = raw("checkin.survey_names")["end"]
    return [
        b.section(text("checkin.end_survey", survey=name)),
        b.actions(survey_button(checkin_id, "end"), block_id=f"survey_{checkin_id}"),
    ]


def long_answer(
    block_id: str, action_id: str, label_key: str, initial: str | None
) -> dict[str, Any]:
    """An optional free-text answer, private to its author, prefilled when editing."""
    return b.input_block(
        block_id,
        text(label_key),
        b.text_input(
            action_id, initial=initial or None, max_length=MAX_FEEDBACK_TEXT, multiline=True
        ),
        optional=True,
    )


def quote_choice(block_id: str, action_id: str, option_key: str, checked: bool) -> b.Block:
    """The opt-in that lets HR quote an answer word for word (off unless the author ticks it)."""
    return b.tick_box(
        block_id,
        text("feedback.quote_label"),
        action_id,
        b.option("quote", text(option_key)),
        ticked=checked,
    )


def scale(
    block_id: str,
    label: str,
    action_id: str,
    choices: Sequence[Sequence[str]],
    chosen: int | None,
    *,
    optional: bool = False,
    hint: str | None = None,
) -> b.Block:
    """A drop-down of numbered answers (a 1-5 rating, a 0-10 score, a progress step),
    prefilled with the person's earlier answer when there is one."""
    initial = None if chosen is None else str(chosen)
    element = b.select(action_id, b.options(choices), initial=initial)
    return b.input_block(block_id, label, element, optional=optional, hint=hint)


def _radio(action_id: str, choices: Sequence[Sequence[str]], initial: str | None) -> dict[str, Any]:
    options = b.options(choices)
    element: dict[str, Any] = {"type": "radio_buttons", "action_id": action_id, "options": options}
    chosen = [o for o in options if o["value"] == initial]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def feedback_modal(
    *, checkin_id: int, response: Response | None, goals: list[Goal], quote_default: bool
) -> dict[str, Any]:
    """Private to its author; prefilled from their earlier answer so it can be edited."""
    r = response
    attendance = r.attendance if r and r.attendance else None
    quote = r.quote_ok if r and r.feedback_submitted_at else quote_default
    blocks = [
        b.context(text("feedback.intro")),
        b.input_block(
            ids.B_FB_MET,
            text("feedback.met_label"),
            _radio(ids.A_FB_MET, raw("feedback.met_options"), attendance),
        ),
        scale(
            ids.B_FB_USEFUL,
            text("feedback.useful_label"),
            ids.A_FB_USEFUL,
            RATINGS,
            r.usefulness if r and r.usefulness else None,
            optional=True,
        ),
        long_answer(
            ids.B_FB_LEARNED,
            ids.A_FB_LEARNED,
            "feedback.learned_label",
            r.learned_text if r else None,
        ),
    ]
    steps = [(str(p), f"{p}%") for p in (0, 25, 50, 75, 100)]
    for goal in goals[: ids.MAX_GOALS]:
        label = text("feedback.goal_label", goal=goal_line(goal, bold=False))
        blocks.append(
            scale(
                ids.feedback_goal_block(goal.id),
                label,
                ids.A_FB_GOAL,
                steps,
                goal.progress,
                optional=True,
            )
        )
    blocks += [
        scale(
            ids.B_FB_CANDOUR,
            text("feedback.candour_label"),
            ids.A_FB_CANDOUR,
            RATINGS,
            r.candour if r and r.candour else None,
            optional=True,
            hint=text("feedback.candour_hint"),
        ),
        long_answer(
            ids.B_FB_BLOCKERS,
            ids.A_FB_BLOCKERS,
            "feedback.blockers_label",
            r.blockers_text if r else None,
        ),
        quote_choice(ids.B_FB_QUOTE, ids.A_FB_QUOTE, "feedback.quote_option", quote),
    ]
    return b.modal(
        ids.FEEDBACK_CALLBACK,
        text("feedback.title"),
        blocks,
        submit=text("feedback.submit"),
        private_metadata={"checkin_id": checkin_id, "goal_ids": [g.id for g in goals[:3]]},
    )


def survey_modal(*, checkin_id: int, kind: str, existing: SurveyResponse | None) -> dict[str, Any]:
    e = existing
    name = raw("checkin.survey_names")[kind]
    scores = [(str(n), str(n)) for n in range(0, 11)]
    blocks = [
        b.section(text("survey.intro", survey=name.capitalize())),
        scale(
            ids.B_SV_RECOMMEND,
            text("survey.recommend_label"),
            ids.A_SV_RECOMMEND,
            scores,
            e.recommend if e else None,
        ),
        scale(
            ids.B_SV_ATTAINMENT,
            text("survey.attainment_label"),
            ids.A_SV_ATTAINMENT,
            RATINGS,
            e.goal_attainment if e and e.goal_attainment else None,
        ),
        long_answer(
            ids.B_SV_CHANGED,
            ids.A_SV_CHANGED,
            "survey.changed_label",
            e.what_changed if e else None,
        ),
        quote_choice(ids.B_SV_QUOTE, ids.A_SV_QUOTE, "survey.quote_option", bool(e and e.quote_ok)),
    ]
    return b.modal(
        ids.SURVEY_CALLBACK,
        text("survey.title"),
        blocks,
        submit=text("survey.submit"),
        private_metadata={"checkin_id": checkin_id, "kind": kind},
    )


def fit_answers(pair_id: int) -> b.Block:
    """ "It works" / "I'd like a re-pair": the two private answers about a pairing."""
    return b.actions(
        b.button(text("fit.works"), ids.FIT_WORKS, str(pair_id), style="primary"),
        b.button(text("fit.repair"), ids.FIT_REPAIR, str(pair_id)),
    )


def fit_question_blocks(pair_id: int, partner_id: str) -> list[dict[str, Any]]:
    return [b.section(text("fit.question", partner=partner_id)), fit_answers(pair_id)]


def repair_offer_blocks(pair_id: int, partner_id: str) -> list[dict[str, Any]]:
    """HR's private offer of a no-fault re-pair to a quiet pair: the same two answers as the
    pairing-fit question, so a request goes through the same private flow."""
    return [b.section(text("nudges.repair_offer", partner=partner_id)), fit_answers(pair_id)]


def repair_modal(pair_id: int) -> dict[str, Any]:
    return b.modal(
        ids.REPAIR_CALLBACK,
        text("fit.repair_title"),
        [
            b.section(text("fit.repair_intro")),
            b.input_block(
                ids.B_REPAIR_REASON,
                text("fit.repair_label"),
                b.text_input(ids.A_REPAIR_REASON, max_length=MAX_FEEDBACK_TEXT, multiline=True),
                optional=True,
            ),
        ],
        submit=text("fit.repair_submit"),
        private_metadata={"pair_id": pair_id},
    )
