"""The kickoff message each new pair gets in its group DM."""

from __future__ import annotations

from typing import Any

from bot.models import Goal, Participant, Program
from bot.texts import labels, raw, text
from bot.views import blocks as b
from bot.views.goals import goal_line


def first_meeting_suggestion(sharer: Participant, learner: Participant) -> str:
    """Shared days, a time of day both like, and the shorter of the two meeting lengths."""
    days = [
        d
        for d in raw("catalogue.days")
        if d[0] in set(sharer.available_days) & set(learner.available_days)
    ]
    day_text = " or ".join(label for _, label in days[:2]) or text("kickoff.any_day")
    whose: Participant | None = None
    if sharer.time_of_day == learner.time_of_day or learner.time_of_day == "any":
        whose = sharer
    elif sharer.time_of_day == "any":
        whose = learner
    if whose is None or whose.time_of_day == "any":
        time_of_day = text("kickoff.agreed_time")
    elif sharer.timezone == learner.timezone:
        time_of_day = b.escape(labels("catalogue.times_of_day")[whose.time_of_day].lower())
    else:  # "around lunch" means two different hours in two time zones: say whose
        time_of_day = text(
            "kickoff.whose_time",
            time=labels("catalogue.times_of_day")[whose.time_of_day].lower(),
            user=whose.slack_user_id,
            zone=whose.timezone.replace("_", " "),
        )
    minutes = min(sharer.meeting_minutes, learner.meeting_minutes)
    return text("kickoff.first_meeting", days=day_text, time_of_day=time_of_day, minutes=minutes)


def kickoff_blocks(
    *,
    program: Program,
    sharer: Participant,
    learner: Participant,
    reasons: list[str],
    goals: dict[int, list[Goal]],
    prompt_text: str,
) -> list[dict[str, Any]]:
    minutes = min(sharer.meeting_minutes, learner.meeting_minutes)
    goal_lines = []
    for person in (sharer, learner):
        own = goals.get(person.id, [])
        if own:
            goal_lines += [f"<@{person.slack_user_id}>: {goal_line(g)}" for g in own]
        else:
            goal_lines.append(text("kickoff.no_goals", user=person.slack_user_id))
    cadence = "week" if program.cadence_weeks == 1 else f"{program.cadence_weeks} weeks"
    ids = {"sharer": sharer.slack_user_id, "learner": learner.slack_user_id}
    return [
        b.header(text("kickoff.header")),
        b.section(text("kickoff.intro", program=program.name, weeks=program.length_weeks, **ids)),
        b.section(text("kickoff.roles", **ids)),
        b.section(text("kickoff.why") + "\n" + "\n".join(f"• {b.escape(r)}" for r in reasons)),
        b.section(text("kickoff.goals") + "\n" + "\n".join(goal_lines)),
        b.section(text("kickoff.rules", minutes=minutes)),
        b.section(text("kickoff.first_prompt", prompt=prompt_text)),
        b.section(first_meeting_suggestion(sharer, learner)),
        b.context(text("kickoff.footer", cadence=cadence)),
    ]
