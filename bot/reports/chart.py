"""A PNG of the weekly trend for the HR channel, drawn headless.

It draws a `matplotlib.figure.Figure` on an Agg canvas rather than using pyplot: no global figure
state and no GUI backend, so it is safe to call from the bot's process or a worker thread.
"""

from __future__ import annotations

import io

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.reports.metrics import Report
from bot.reports.render import text
from bot.texts.mrkdwn import unescape

RATE_COLOUR = "#8ecae6"
USEFULNESS_COLOUR = "#fb8500"
CANDOUR_COLOUR = "#219ebc"


def weekly_chart_png(report: Report) -> bytes:
    """Bars: share of pairs that met each program week; lines: average ratings (1-5)."""
    fig = Figure(figsize=(8, 4.5), dpi=100, layout="constrained")
    rates_ax = fig.add_subplot()
    ratings_ax = rates_ax.twinx()
    fig.suptitle(unescape(text("chart.title", program=report.program_name)))
    weeks = [w.week for w in report.trend]
    rates_ax.bar(
        weeks,
        [100 * (w.meeting_rate or 0) for w in report.trend],
        color=RATE_COLOUR,
        label=text("chart.met"),
    )
    for attr, colour, key in (
        ("avg_usefulness", USEFULNESS_COLOUR, "chart.usefulness"),
        ("avg_candour", CANDOUR_COLOUR, "chart.candour"),
    ):
        points = [(w.week, getattr(w, attr)) for w in report.trend if getattr(w, attr) is not None]
        ratings_ax.plot(
            [week for week, _ in points],
            [value for _, value in points],
            marker="o",
            color=colour,
            label=text(key),
        )
    if not weeks:
        rates_ax.text(
            0.5, 0.5, text("chart.empty"), ha="center", va="center", transform=rates_ax.transAxes
        )
    rates_ax.set_xlabel(text("chart.x_label"))
    rates_ax.set_ylabel(text("chart.rate_label"))
    rates_ax.set_ylim(0, 100)
    rates_ax.set_xticks(weeks)
    ratings_ax.set_ylabel(text("chart.rating_label"))
    ratings_ax.set_ylim(0.9, 5.1)  # room for markers at 1 and 5
    ratings_ax.set_yticks(range(1, 6))
    handles = [*rates_ax.get_legend_handles_labels()[0], *ratings_ax.get_legend_handles_labels()[0]]
    ratings_ax.legend(handles=handles, loc="lower left", fontsize="small")
    buffer = io.BytesIO()
    FigureCanvasAgg(fig).print_png(buffer)
    return buffer.getvalue()
