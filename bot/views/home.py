"""App Home: a personal dashboard, plus program numbers and actions for HR admins."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from bot import ids
from bot.models import ParticipantStatus
from bot.services.dashboard import PersonalView, ProgramNumbers
from bot.texts import raw, text
from bot.views import blocks as b
from bot.views.goals import goal_line
from bot.vocabulary import ExperienceBand, label


def local_time(instant: dt.datetime, tz: str) -> str:
    """'Tue 13 Jan, 10:00' in the person's own zone (Slack shows it as plain text)."""
    return instant.astimezone(ZoneInfo(tz)).strftime("%a %-d %b, %H:%M")


def paused_until(view: PersonalView) -> str:
    p = view.participant
    if p and p.paused_until:
        return f" until {p.paused_until:%-d %b}"
    return ""


def _profile_text(view: PersonalView) -> str:
    p = view.participant
    assert p is not None
    band = label(ExperienceBand(p.experience_band))
    lines = [
        text("home.profile_heading"),
        f"You {raw('roles_short')[p.role]} · {band} of experience · {p.department or '—'}",
        f"Can share: {', '.join(p.share_topics) or '—'}",
        f"Wants to learn: {', '.join(p.learn_topics) or '—'}",
    ]
    return "\n".join(lines)


def home_view(view: PersonalView, numbers: ProgramNumbers | None) -> dict[str, Any]:
    """The whole home tab for one person; `numbers` is given only to HR admins."""
    blocks: list[dict[str, Any]] = [b.header(text("home.title"))]
    p = view.participant
    if p is None or p.status in (ParticipantStatus.LEFT, ParticipantStatus.DELETED):
        blocks += [
            b.section(text("home.not_joined")),
            b.actions(b.button(text("home.join_button"), ids.HOME_EDIT_PROFILE, style="primary")),
        ]
    else:
        if view.program is None:
            blocks.append(b.context(text("home.no_program")))
        else:
            blocks.append(b.context(f"Program: *{view.program.name}*"))
        if p.status == ParticipantStatus.PAUSED:
            blocks.append(b.section(text("home.paused", until=paused_until(view))))
        blocks.append(b.section(_profile_text(view)))
        if view.partner is not None and view.pair is not None:
            partner_line = f"<@{view.partner.slack_user_id}>"
            if view.pair.dm_channel_id:
                partner_line += f" · your group DM: <#{view.pair.dm_channel_id}>"
            blocks.append(b.section(f"{text('home.partner_heading')}\n{partner_line}"))
        else:
            blocks.append(b.section(f"{text('home.partner_heading')}\n{text('home.no_partner')}"))
        if view.next_checkin is not None:
            when = local_time(view.next_checkin, p.timezone)
            blocks.append(b.context(text("home.next_checkin", when=when)))
        goal_lines = [goal_line(g) for g in view.goals] or [text("goals.none")]
        blocks.append(b.section(text("home.goals_heading") + "\n" + "\n".join(goal_lines)))
        toggle = (
            b.button(text("home.resume_button"), ids.HOME_RESUME)
            if p.status == ParticipantStatus.PAUSED
            else b.button(text("home.pause_button"), ids.HOME_PAUSE)
        )
        blocks.append(
            b.actions(
                b.button(text("home.edit_profile"), ids.HOME_EDIT_PROFILE),
                b.button(text("home.edit_goals"), ids.HOME_EDIT_GOALS, style="primary"),
                toggle,
            )
        )
    if numbers is not None:
        blocks += [b.divider(), b.header(text("home.admin_heading"))]
        if numbers.program is None:
            blocks.append(b.section(text("home.admin_no_program")))
        else:
            blocks.append(
                b.section(
                    text(
                        "home.admin_numbers",
                        program=numbers.program.name,
                        enrolled=numbers.enrolled,
                        active=numbers.active,
                        paused=numbers.paused,
                        left=numbers.left,
                        pairs=numbers.pairs,
                        unmatched=numbers.unmatched,
                    )
                )
            )
        blocks.append(
            b.actions(
                b.button(text("home.admin_program"), ids.HOME_ADMIN_PROGRAM),
                b.button(text("home.admin_match"), ids.HOME_ADMIN_MATCH),
                b.button(text("home.admin_report"), ids.HOME_ADMIN_REPORT),
            )
        )
    return {"type": "home", "blocks": blocks}
