"""HR admin views: the program modal and the matching proposal message."""

from __future__ import annotations

import json
from typing import Any

from bot import ids
from bot.models import Program
from bot.texts import raw, text
from bot.views import blocks as b

MAX_PAIRS_SHOWN = 15  # Slack allows 50 blocks a message; the rest are summarised
TEXT_BUDGET = 8000  # Slack refuses messages past ~12,000 characters of block text


def program_modal(program: Program | None, default_channel: str | None) -> dict[str, Any]:
    """Create (empty) or edit (prefilled) the open program."""
    p = program
    channel = p.hr_channel_id if p and p.hr_channel_id else default_channel
    weekdays = [(code, label) for code, label in raw("catalogue.days")]
    start_element: dict[str, Any] = {"type": "datepicker", "action_id": ids.A_PROGRAM_START}
    if p:
        start_element["initial_date"] = p.start_date.isoformat()
    time_element: dict[str, Any] = {
        "type": "timepicker",
        "action_id": ids.A_PROGRAM_TIME,
        "initial_time": (p.checkin_time.strftime("%H:%M") if p else "10:00"),
    }
    channel_element: dict[str, Any] = {
        "type": "conversations_select",
        "action_id": ids.A_PROGRAM_CHANNEL,
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if channel:
        channel_element["initial_conversation"] = channel
    blocks = [
        b.section(text("admin.program_intro")),
        b.input_block(
            ids.B_PROGRAM_NAME,
            text("admin.name_label"),
            b.text_input(ids.A_PROGRAM_NAME, initial=p.name if p else None, max_length=80),
        ),
        b.input_block(ids.B_PROGRAM_START, text("admin.start_label"), start_element),
        b.input_block(
            ids.B_PROGRAM_LENGTH,
            text("admin.length_label"),
            {
                "type": "number_input",
                "action_id": ids.A_PROGRAM_LENGTH,
                "is_decimal_allowed": False,
                "min_value": "2",
                "max_value": "52",
                "initial_value": str(p.length_weeks if p else 12),
            },
        ),
        b.input_block(
            ids.B_PROGRAM_CADENCE,
            text("admin.cadence_label"),
            b.select(
                ids.A_PROGRAM_CADENCE,
                b.options(raw("admin.cadences")),
                initial=str(p.cadence_weeks if p else 1),
            ),
        ),
        b.input_block(
            ids.B_PROGRAM_WEEKDAY,
            text("admin.weekday_label"),
            b.select(
                ids.A_PROGRAM_WEEKDAY,
                b.options(weekdays),
                initial=p.checkin_weekday if p else "tue",
            ),
        ),
        b.input_block(ids.B_PROGRAM_TIME, text("admin.time_label"), time_element),
        b.input_block(
            ids.B_PROGRAM_CHANNEL, text("admin.channel_label"), channel_element, optional=True
        ),
    ]
    return b.modal(
        ids.PROGRAM_CALLBACK,
        text("admin.program_title"),
        blocks,
        submit=text("admin.program_submit"),
        private_metadata={"program_id": p.id} if p else None,
    )


def proposal_blocks(program_name: str, proposal_id: int, data: dict[str, Any]) -> list[dict]:
    """The proposal HR reviews: pairs with their reasons, the unmatched, and the actions."""
    pairs = data.get("pairs", [])
    unmatched = data.get("unmatched", [])
    blocks: list[dict[str, Any]] = [
        b.header(text("matching.header", program=program_name)),
        b.section(
            text(
                "matching.summary",
                pairs=len(pairs),
                pool=data.get("pool", 0),
                unmatched=len(unmatched),
            )
        ),
        b.divider(),
    ]
    shown, used = 0, 0
    for pair in pairs[:MAX_PAIRS_SHOWN]:
        line = text(
            "matching.pair_line",
            sharer=pair["sharer"],
            learner=pair["learner"],
            score=f"{pair['score']:.2f}",
        )
        reasons = "\n".join(f"  • {b.escape(r)}" for r in pair["reasons"])
        entry = f"{line}\n{reasons}"
        if used + len(entry) > TEXT_BUDGET:
            break
        blocks.append(b.section(entry))
        shown, used = shown + 1, used + len(entry)
    if len(pairs) > shown:
        blocks.append(b.context(text("matching.more_pairs", count=len(pairs) - shown)))
    if unmatched:
        lines = [
            text("matching.unmatched_line", user=u["user"], reason=u["reason"]) for u in unmatched
        ]
        listed = "\n".join(lines[:20])
        if len(lines) > 20:
            listed += f"\n…and {len(lines) - 20} more"
        blocks.append(b.section(text("matching.unmatched_heading") + "\n" + listed))
    elements = []
    if pairs:
        elements.append(
            b.button(text("matching.approve"), ids.MATCH_APPROVE, str(proposal_id), style="primary")
        )
    elements.append(b.button(text("matching.rerun"), ids.MATCH_RERUN, str(proposal_id)))
    if shown:
        exclude_options = [
            b.option(
                json.dumps({"p": proposal_id, "k": f"{p['sharer']}:{p['learner']}"}),
                b.escape(f"{p.get('sharer_name') or p['sharer']} + ")
                + b.escape(p.get("learner_name") or p["learner"]),
            )
            for p in pairs[:shown]
        ]
        elements.append(
            {
                "type": "static_select",
                "action_id": ids.MATCH_EXCLUDE,
                "placeholder": b.plain(text("matching.exclude_placeholder")),
                "options": exclude_options,
            }
        )
    blocks.append(b.actions(*elements, block_id=f"proposal_{proposal_id}"))
    return blocks


def at_risk_note_text(sharer: str, learner: str, action: str) -> b.Mrkdwn:
    return text("nudges.hr_at_risk", sharer=sharer, learner=learner, action=action)


def at_risk_note_blocks(pair_id: int, sharer: str, learner: str, action: str) -> list[dict]:
    """HR's note names both people (HR cannot open the pair's group DM) and offers actions."""
    value = str(pair_id)
    return [
        b.section(at_risk_note_text(sharer, learner, action)),
        b.actions(
            b.button(text("nudges.message_pair"), ids.AT_RISK_MESSAGE, value, style="primary"),
            b.button(text("nudges.suggest_repair"), ids.AT_RISK_REPAIR, value),
            b.button(text("nudges.dismiss"), ids.AT_RISK_DISMISS, value),
            block_id=f"at_risk_{pair_id}",
        ),
    ]


def closed_proposal_blocks(original: list[dict], note: str) -> list[dict]:
    """The proposal as it was, minus its buttons, with what happened to it."""
    kept = [blk for blk in original if blk.get("type") != "actions"]
    return [*kept, b.context(note)]
