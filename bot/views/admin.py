"""HR admin views: the program modal and the matching proposal message."""

from __future__ import annotations

import json
from typing import Any

from bot import ids, vocabulary
from bot.forms import MAX_PROGRAM_DEPARTMENTS
from bot.models import Program
from bot.texts import counted, raw, text
from bot.views import blocks as b
from bot.vocabulary import WORKDAYS

MESSAGE_TEXT = 12000  # Slack refuses messages past ~13,000 characters of block text
NOTE_ROOM = 200  # for the line that says where the rest is
EXCLUDE_LABEL = 60  # characters of a pair's name in the exclude menu
SECTION_CHARS = 2900  # a section's text holds up to 3,000
MAX_SECTIONS = 30  # of Slack's 50 blocks a message, what pairs may take


def program_modal(
    program: Program | None, default_channel: str | None, *, can_invite: bool = False
) -> dict[str, Any]:
    """Create (empty) or edit (prefilled) a program. A new program can invite people of
    earlier programs who asked for the next round (`can_invite`: there are some)."""
    p = program
    channel = p.hr_channel_id if p and p.hr_channel_id else default_channel
    weekdays = vocabulary.options(WORKDAYS)
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
        b.input_block(
            ids.B_PROGRAM_DEPARTMENTS,
            text("programs.departments_label"),
            b.text_input(
                ids.A_PROGRAM_DEPARTMENTS,
                initial=", ".join(p.eligible_departments or []) if p else None,
                max_length=MAX_PROGRAM_DEPARTMENTS,
            ),
            optional=True,
            hint=text("programs.departments_hint"),
        ),
        b.tick_box(
            ids.B_PROGRAM_RULES,
            text("admin.rules_label"),
            ids.A_PROGRAM_RULES,
            b.option(
                ids.RULE_DIFFERENT_DEPARTMENTS,
                text("admin.rule_different_departments"),
                text("admin.rule_different_departments_hint"),
            ),
            ticked=bool(p and p.different_departments),
        ),
    ]
    if p is None and can_invite:
        blocks.append(
            b.tick_box(
                ids.B_PROGRAM_INVITE,
                text("programs.invite_label"),
                ids.A_PROGRAM_INVITE,
                b.option("yes", text("programs.invite_option")),
                ticked=True,
                hint=text("programs.invite_hint"),
            )
        )
    return b.modal(
        ids.PROGRAM_CALLBACK,
        text("admin.program_title"),
        blocks,
        submit=text("admin.program_submit"),
        private_metadata={"program_id": p.id} if p else None,
    )


def org_invite_blocks(message: str, program_id: int) -> list[dict[str, Any]]:
    """HR's invitation DM: why, and one Join button that opens the sign-up modal for that
    program (the same button as a next-round invitation)."""
    return [
        b.section(message),
        b.actions(
            b.button(
                text("admin.invite_button"), ids.NEXT_ROUND_JOIN, str(program_id), style="primary"
            )
        ),
    ]


def _pair_line(pair: dict[str, Any]) -> str:
    return text(
        "matching.pair_line",
        sharer=pair["sharer"],
        learner=pair["learner"],
        score=f"{pair['score']:.2f}",
    )


def _full_entry(pair: dict[str, Any]) -> str:
    reasons = "\n".join(f"  • {b.escape(r)}" for r in pair["reasons"])
    return f"{_pair_line(pair)}\n{reasons}"


def _sections(entries: list[str]) -> list[dict[str, Any]]:
    """Entries grouped into as few sections as fit Slack's 3,000 characters each."""
    sections: list[dict[str, Any]] = []
    chunk: list[str] = []
    size = 0
    for entry in entries:
        if chunk and size + len(entry) + 1 > SECTION_CHARS:
            sections.append(b.section("\n".join(chunk)))
            chunk, size = [], 0
        chunk.append(entry[:SECTION_CHARS])
        size += len(entry) + 1
    if chunk:
        sections.append(b.section("\n".join(chunk)))
    return sections


def proposal_layout(pairs: list[dict[str, Any]], budget: int) -> tuple[list[str], bool]:
    """(entries the message lists, whether the reasons go in an attached file instead).

    Every pair HR approves is listed: with its reasons when they fit in `budget` characters,
    else one line each with the reasons in a file. Past what one message holds, the rest of
    the lines go in the file too (the message says how many)."""
    full = [_full_entry(p) for p in pairs]
    if sum(len(e) + 1 for e in full) <= budget and len(full) <= MAX_SECTIONS:
        return full, False
    lines, used = [], 0
    for pair in pairs:
        line = _pair_line(pair)
        if used + len(line) + 1 > budget:
            break
        lines.append(line)
        used += len(line) + 1
    return lines, True


def _text_length(value: Any) -> int:
    """Characters of every `text` string inside blocks (what Slack's message limit counts)."""
    if isinstance(value, dict):
        return sum(
            len(v) if k == "text" and isinstance(v, str) else _text_length(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return sum(_text_length(v) for v in value)
    return 0


def proposal_file(program_name: str, data: dict[str, Any]) -> str:
    """The full proposal as plain text, attached when the message can't hold every reason."""
    out = [text("matching.header", program=program_name), ""]
    for i, pair in enumerate(data.get("pairs", []), 1):
        sharer = pair.get("sharer_name") or pair["sharer"]
        learner = pair.get("learner_name") or pair["learner"]
        out.append(f"{i}. {sharer} + {learner} (score {pair['score']:.2f})")
        out += [f"   - {reason}" for reason in pair["reasons"]]
    for person in data.get("unmatched", []):
        out.append(f"Not matched: {person['user']}: {person['reason']}")
    return "\n".join(out) + "\n"


def proposal_message(
    program_name: str, proposal_id: int, data: dict[str, Any], *, intro: str | None = None
) -> tuple[list[b.Block], bool]:
    """The proposal HR reviews, and whether a file with every reason must go with it: every
    pair (with its reasons, or one line each), the unmatched, that nobody is paired again, and
    the actions."""
    pairs = data.get("pairs", [])
    unmatched = data.get("unmatched", [])
    head: list[dict[str, Any]] = [b.header(text("matching.header", program=program_name))]
    if intro:
        head.append(b.section(intro))
    head += [
        b.section(
            text(
                "matching.summary",
                pairs=counted(len(pairs), "pair"),
                pool=counted(data.get("pool", 0), "person"),
                unmatched=len(unmatched),
            )
        ),
        b.context(text("programs.proposal_never_repeats")),
    ]
    if data.get("reporting_line_applied"):
        head.append(
            b.context(text("matching.reporting_rule", count=data["reporting_line_applied"]))
        )
    head.append(b.divider())
    tail: list[dict[str, Any]] = []
    if unmatched:
        lines = [
            text("matching.unmatched_line", user=u["user"], reason=u["reason"]) for u in unmatched
        ]
        listed = "\n".join(lines[:20])
        if len(lines) > 20:
            listed += f"\n…and {len(lines) - 20} more"
        tail.append(b.section(text("matching.unmatched_heading") + "\n" + listed))
    elements = []
    if pairs:
        elements.append(
            b.button(text("matching.approve"), ids.MATCH_APPROVE, str(proposal_id), style="primary")
        )
    elements.append(b.button(text("matching.rerun"), ids.MATCH_RERUN, str(proposal_id)))
    if pairs:
        exclude_options = [
            b.option(
                json.dumps({"p": proposal_id, "k": f"{p['sharer']}:{p['learner']}"}),
                b.escape(
                    (
                        f"{p.get('sharer_name') or p['sharer']} + "
                        f"{p.get('learner_name') or p['learner']}"
                    )[:EXCLUDE_LABEL]
                ),
            )
            for p in pairs[:100]
        ]
        elements.append(
            {
                "type": "static_select",
                "action_id": ids.MATCH_EXCLUDE,
                "placeholder": b.plain(text("matching.exclude_placeholder")),
                "options": exclude_options,
            }
        )
    tail.append(b.actions(*elements, block_id=f"proposal_{proposal_id}"))
    budget = MESSAGE_TEXT - _text_length(head) - _text_length(tail) - NOTE_ROOM
    entries, with_file = proposal_layout(pairs, budget)
    middle = _sections(entries)
    if len(pairs) > len(entries):
        more = len(pairs) - len(entries)
        middle.append(b.context(text("programs.proposal_more_in_file", count=more)))
    elif with_file:
        middle.append(b.context(text("programs.proposal_full_list")))
    return [*head, *middle, *tail], with_file


def proposal_blocks(
    program_name: str, proposal_id: int, data: dict[str, Any], *, intro: str | None = None
) -> list[b.Block]:
    return proposal_message(program_name, proposal_id, data, intro=intro)[0]


def at_risk_note_text(sharer: str, learner: str, action: str) -> b.Mrkdwn:
    return text("nudges.hr_at_risk", sharer=sharer, learner=learner, action=action)


def at_risk_note_blocks(pair_id: int, sharer: str, learner: str, action: str) -> list[b.Block]:
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


def closed_proposal_blocks(original: list[b.Block], note: str) -> list[b.Block]:
    """The proposal as it was, minus its buttons, with what happened to it."""
    kept = [blk for blk in original if blk.get("type") != "actions"]
    return [*kept, b.context(note)]
