"""The program report as Slack blocks and as plain text, from the same sections.

Everything shown comes from the `Report`, which already holds only what HR may see (privacy is
decided in `metrics`); this module decides layout, escapes what people typed so it cannot mention
or link anyone, and caps lists so a message stays within Slack's block and text limits.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from typing import Any

from bot import texts
from bot.reports.metrics import (
    HEALTH_STATES,
    RECENT_CHECKINS,
    RECENT_WEEKS,
    Activity,
    Report,
    TopicCount,
    prompt_ratings_needed,
)
from bot.texts import counted
from bot.texts import raw as app_raw
from bot.texts.mrkdwn import Mrkdwn, escape
from bot.views import blocks as b

MAX_TREND_ROWS = 12
MAX_AT_RISK = 6
MAX_DEPARTMENTS = 10
NAME_CHARS = 40
EXCERPT_CHARS = 80
BAR_WIDTH = 10
_MRKDWN_MARKS = re.compile(r"[*_~`>]")


def raw(key: str) -> Any:
    """A report text (bot/texts/report.yaml) by its dotted key."""
    return texts.raw(f"report.{key}")


def text(key: str, **values: Any) -> str:
    return texts.text(f"report.{key}", **values)


def pct(value: float | None) -> str:
    return text("no_value") if value is None else f"{round(100 * value)}%"


def num(value: float | None) -> str:
    return text("no_value") if value is None else f"{value:.1f}"


def count(value: int | None) -> str:
    """A count, or 'hidden' when it came from too few people."""
    return text("hidden_value") if value is None else str(value)


def rating(value: float | None, ratings: int) -> str:
    """An average rating, or 'hidden' when there were ratings but from too few people."""
    return text("hidden_value") if value is None and ratings else num(value)


def day(value: dt.date) -> str:
    return f"{value.day} {value:%b %Y}"


def report_blocks(report: Report) -> list[dict[str, Any]]:
    """Block Kit for the HR channel: about 20 blocks, well under Slack's size limits."""
    blocks = [
        b.header(_title(report)),
        b.context(_subtitle(report)),
        b.fields(_headline(report)),
        b.divider(),
    ]
    for heading, lines in _sections(report):
        blocks.append(b.section(f"*{heading}*\n" + "\n".join(lines)))
    blocks += [b.divider(), b.context(text("footer"))]
    return blocks


def report_text(report: Report) -> str:
    """The plain fallback: the same content as the blocks, as lines."""
    parts = [_title(report), _subtitle(report), ""]
    parts += [f"{label}: {value.replace(chr(10), ' · ')}" for label, value in _headline(report)]
    for heading, lines in _sections(report):
        parts += ["", heading, *lines]
    parts += ["", text("footer")]
    return "\n".join(parts)


def _title(report: Report) -> str:
    return text("title", program=report.program_name)


def _words(report: Report, key: str) -> str:
    """The key of a closed program's wording where it differs: its pairs ran until the close,
    and what its people had recorded is read as of then."""
    return f"closed.{key}" if report.closed_on else key


def _none(report: Report) -> str:
    """What an empty section says: "none yet" while the program runs, "none" once closed."""
    return text(_words(report, "none"))


def _subtitle(report: Report) -> str:
    if report.closed_on:
        return text("closed.subtitle", date=day(report.closed_on), min_group=report.min_group)
    values = {"date": day(report.generated_at.date()), "min_group": report.min_group}
    if report.current_week is None:
        return text("subtitle_before_start", **values)
    week = min(report.current_week, report.length_weeks)
    return text("subtitle", week=week, length=report.length_weeks, **values)


def _headline(report: Report) -> list[tuple[str, str]]:
    people, overall = report.people, report.overall
    return [
        (text("headline.people"), text("headline.people_value", **vars(people))),
        (text("headline.matched"), text(_words(report, "headline.matched_value"), **vars(people))),
        (
            text("headline.pairs"),
            text(
                _words(report, "headline.pairs_value"),
                active=report.pairs_active,
                ended=report.pairs_ended,
            ),
        ),
        (
            text(_words(report, "headline.met"), weeks=RECENT_WEEKS),
            text(
                _words(report, "headline.met_value"),
                rate=pct(report.met_recently),
                per_pair=num(report.meetings_per_pair),
            ),
        ),
        (
            text("headline.cancelled"),
            text("headline.cancelled_value", cancelled=count(overall.cancelled)),
        ),
        (
            text("headline.answers"),
            text(
                "headline.answers_value",
                rate=pct(overall.response_rate),
                answers=overall.answers,
                expected=2 * overall.checkins,
            ),
        ),
        (
            text("headline.ratings"),
            text(
                "headline.ratings_value",
                usefulness=rating(overall.avg_usefulness, overall.usefulness_ratings),
                candour=rating(overall.avg_candour, overall.candour_ratings),
            ),
        ),
    ]


def _sections(report: Report) -> list[tuple[str, list[str]]]:
    sections = []
    if report.latest is not None:
        latest = report.latest
        sections.append(
            (
                text("latest.heading", week=latest.week, date=day(latest.starts_on)),
                [
                    text(
                        "latest.line", **_activity(latest), met=latest.met, checkins=latest.checkins
                    )
                ],
            )
        )
    sections += [
        (text("trend.heading"), _trend(report)),
        (
            text(_words(report, "health.heading"), pairs=counted(len(report.pairs), "pair")),
            _health(report),
        ),
        (text("at_risk.heading"), _at_risk(report)),
        (text(_words(report, "goals.heading")), _goals(report)),
        (text("topics.shared", min_group=report.min_group), _topics(report, report.top_shared)),
        (text("topics.wanted", min_group=report.min_group), _topics(report, report.top_wanted)),
        (text("surveys.heading"), _surveys(report)),
        (
            text("prompts.heading", ratings=prompt_ratings_needed(report.min_group)),
            _prompts(report),
        ),
        (text("quotes.heading"), _quotes(report)),
        (text("departments.heading"), _departments(report)),
    ]
    return sections


def _activity(activity: Activity) -> dict[str, str]:
    return {
        "rate": pct(activity.meeting_rate),
        "answered": pct(activity.response_rate),
        "usefulness": rating(activity.avg_usefulness, activity.usefulness_ratings),
        "candour": rating(activity.avg_candour, activity.candour_ratings),
        "cancelled": count(activity.cancelled),
    }


def _trend(report: Report) -> list[str]:
    if not report.trend:
        return [text(_words(report, "trend.empty"))]
    rows = []
    for week in report.trend[-MAX_TREND_ROWS:]:
        filled = round(BAR_WIDTH * (week.meeting_rate or 0))
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        rows.append(text("trend.line", week=week.week, bar=bar, **_activity(week)))
    return ["```", *rows, "```"]


def _health(report: Report) -> list[str]:
    counts = report.health_counts
    lines = []
    for state in HEALTH_STATES:
        emoji, label = raw(f"health.states.{state}")
        lines.append(text("health.line", emoji=emoji, label=label, count=counts[state]))
    return lines


def _at_risk(report: Report) -> list[str]:
    if not report.at_risk:
        return [text("at_risk.none")]
    lines = []
    for pair in report.at_risk[:MAX_AT_RISK]:
        last_met = (
            text("at_risk.last_met", date=day(pair.last_met_on))
            if pair.last_met_on
            else text(_words(report, "at_risk.never_met"))
        )
        sharer, learner = (
            escape(name, NAME_CHARS) if name else text("at_risk.unnamed")
            for name in (pair.sharer_name, pair.learner_name)
        )
        lines.append(
            text(
                "at_risk.pair",
                pair_id=pair.pair_id,
                sharer=sharer,
                learner=learner,
                last_met=last_met,
            )
            + "\n    "
            + text(f"actions.{pair.action}", count=pair.count, window=RECENT_CHECKINS)
        )
    hidden = len(report.at_risk) - MAX_AT_RISK
    if hidden > 0:
        lines.append(text("at_risk.more", count=hidden))
    return lines


@cache
def _category_labels() -> dict[str, str]:
    return dict(app_raw("catalogue.goal_categories"))


def _goals(report: Report) -> list[str]:
    labels = _category_labels()
    lines = []
    for g in report.goals:
        category = escape(labels.get(g.category, g.category), NAME_CHARS)
        if g.hidden or g.avg_progress is None:
            lines.append(text("goals.hidden", category=category, min_group=report.min_group))
            continue
        lines.append(
            text(
                "goals.line",
                category=category,
                goals=g.goals,
                people=g.people,
                progress=round(g.avg_progress),
                achieved=g.achieved,
            )
        )
    return lines or [_none(report)]


def _topics(report: Report, topics: tuple[TopicCount, ...]) -> list[str]:
    return [
        text("topics.line", rank=i, topic=escape(t.topic, NAME_CHARS), people=t.people)
        for i, t in enumerate(topics, start=1)
    ] or [_none(report)]


def _surveys(report: Report) -> list[str]:
    lines = []
    for survey in report.surveys:
        kind = raw("surveys.kinds").get(survey.kind, survey.kind)
        if survey.hidden:
            lines.append(
                text(
                    "surveys.hidden", kind=kind, answers=survey.answers, min_group=report.min_group
                )
            )
            continue
        lines.append(
            text(
                "surveys.line",
                kind=kind,
                answers=survey.answers,
                recommend=num(survey.avg_recommend),
                nps=text("no_value") if survey.nps is None else f"{survey.nps:+d}",
                attainment=num(survey.avg_goal_attainment),
            )
        )
    return lines or [_none(report)]


def _prompts(report: Report) -> list[str]:
    lines = []
    for key, scores in (("best", report.best_prompts), ("worst", report.worst_prompts)):
        if not scores:
            continue
        lines.append(f"_{text(f'prompts.{key}')}_")
        for score in scores:
            excerpt = (
                escape(_MRKDWN_MARKS.sub("", score.excerpt), EXCERPT_CHARS)
                if score.excerpt
                else Mrkdwn(f"`{escape(score.prompt_id, EXCERPT_CHARS)}`")
            )
            lines.append(text("prompts.line", excerpt=excerpt, up=score.up, down=score.down))
    return lines or [_none(report)]


def _quotes(report: Report) -> list[str]:
    sources = raw("quotes.sources")
    return [
        text(
            "quotes.line",
            text=escape(q.text),
            source=sources.get(q.source, q.source),
            date=day(q.on),
        )
        for q in report.quotes
    ] or [text(_words(report, "quotes.none"))]


def _departments(report: Report) -> list[str]:
    lines = []
    for group in report.departments[:MAX_DEPARTMENTS]:
        name = escape(group.department or text("departments.not_given"), NAME_CHARS)
        if group.hidden:
            lines.append(
                text(f"departments.{group.hidden}", department=name, min_group=report.min_group)
            )
            continue
        lines.append(
            text(
                "departments.line",
                department=name,
                people=group.people,
                participation=pct(group.participation),
                meeting_rate=pct(group.meeting_rate),
            )
        )
    hidden = len(report.departments) - MAX_DEPARTMENTS
    if hidden > 0:
        lines.append(text("departments.more", count=hidden))
    return lines or [_none(report)]
