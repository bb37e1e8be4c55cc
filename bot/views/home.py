"""App Home: a personal dashboard, plus program numbers and actions for HR admins."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.models import ParticipantStatus
from bot.services.dashboard import PersonalView, ProgramNumbers, RepairRequest
from bot.services.participants import ERASED_PREFIX
from bot.texts import counted, text, until
from bot.views import blocks as b
from bot.views.dates import local_time
from bot.views.goals import achieved_line, goal_line
from bot.views.meeting import cadence, city, own_times
from bot.views.org import last_import_text
from bot.vocabulary import ExperienceBand, label


def paused_until(view: PersonalView) -> str:
    return until(view.participant.paused_until if view.participant else None)


def goals_text(view: PersonalView) -> str:
    """Open goals, then achieved ones: reaching a goal does not make it disappear."""
    lines = [text("home.goals_heading")]
    lines += [goal_line(g) for g in view.goals] or [text("goals.none")]
    if view.achieved:
        lines.append(text("goals.achieved_heading"))
        lines += [achieved_line(g, view.history.get(g.id, [])) for g in view.achieved]
    return "\n".join(lines)


def _role(view: PersonalView) -> str:
    """The role in the pair if paired ('sharer' / 'learner'), else the sign-up choice."""
    p, pair = view.participant, view.pair
    if pair is not None and p is not None and view.partner is not None:
        return "sharer" if pair.sharer_id == p.id else "learner"
    assert p is not None
    return p.role


def _profile_text(view: PersonalView) -> str:
    p = view.participant
    assert p is not None
    band = label(ExperienceBand(p.experience_band))
    nothing = text("home.nothing")
    lines = [
        text("home.profile_heading"),
        text(
            "home.profile_role",
            role=text(f"roles_short.{_role(view)}"),
            band=band,
            department=p.department or nothing,
        ),
        text("home.profile_share", topics=", ".join(p.share_topics) or nothing),
        text("home.profile_learn", topics=", ".join(p.learn_topics) or nothing),
    ]
    return "\n".join(lines)


def meeting_line(view: PersonalView, tz: str) -> str | None:
    """The pair's regular meeting in this person's own time, and the next one."""
    meeting = view.meeting
    if meeting is None:
        return None
    days, hours = own_times(meeting.start, meeting.end, tz, weekly=True)
    line = f"{days} {hours} ({city(tz)})"
    if not meeting.confirmed:
        return text("meeting.proposed_home", line=line)
    when = local_time(meeting.next_start, tz) if meeting.next_start else text("meeting.no_next")
    return text("meeting.next_home", line=line, cadence=cadence(meeting.cadence_weeks), next=when)


def _repair_text(requests: list[RepairRequest]) -> str:
    """Private reasons stay here, for HR admins only, and never in a channel."""
    lines = [text("home.repair_heading")]
    for request in requests:
        partner = (
            text("home.repair_erased")
            if request.partner.startswith(ERASED_PREFIX)
            else b.mention(request.partner)
        )
        reason = (
            text("home.repair_reason", reason=b.escape(" ".join(request.reason.split()), 400))
            if request.reason
            else text("home.repair_no_reason")
        )
        lines.append(
            text(
                "home.repair_line",
                date=f"{request.on:%-d %b}",
                requester=b.mention(request.requester),
                partner=partner,
                reason=reason,
            )
        )
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
            blocks.append(b.context(text("home.program", program=view.program.name)))
        if p.status == ParticipantStatus.PAUSED:
            blocks.append(b.section(text("home.paused", until=paused_until(view))))
        blocks.append(b.section(_profile_text(view)))
        if view.partner is not None and view.pair is not None:
            partner_line = f"<@{view.partner.slack_user_id}>"
            if view.pair.dm_channel_id:
                partner_line += f" · your group DM: <#{view.pair.dm_channel_id}>"
            blocks.append(b.section(f"{text('home.partner_heading')}\n{partner_line}"))
        else:
            waiting = (
                text("programs.waiting_home", reason=p.waiting_reason)
                if p.waiting_reason
                else text("home.no_partner")
            )
            blocks.append(b.section(f"{text('home.partner_heading')}\n{waiting}"))
        meeting = meeting_line(view, p.timezone)
        if meeting:
            blocks.append(b.section(meeting))
        if view.next_checkin is not None:
            when = local_time(view.next_checkin, p.timezone)
            blocks.append(b.context(text("home.next_checkin", when=when)))
        blocks.append(b.section(goals_text(view)))
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
                        pairs=counted(numbers.pairs, "pair"),
                        unmatched=numbers.unmatched,
                    )
                )
            )
        if numbers.repair_requests:
            blocks.append(b.section(_repair_text(numbers.repair_requests)))
        blocks.append(b.section(last_import_text(numbers.last_import)))
        blocks.append(
            b.actions(
                b.button(text("home.admin_program"), ids.HOME_ADMIN_PROGRAM),
                b.button(text("home.admin_match"), ids.HOME_ADMIN_MATCH),
                b.button(text("home.admin_report"), ids.HOME_ADMIN_REPORT),
                b.button(text("org.home_button"), ids.HOME_ADMIN_ORG_IMPORT),
            )
        )
    return {"type": "home", "blocks": blocks}
