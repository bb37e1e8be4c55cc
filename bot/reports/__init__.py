"""HR reporting: numbers in `metrics` (privacy enforced there), Slack text in `render`, a PNG in
`chart` and a CSV in `export`. The chart is imported from its module so matplotlib loads only
when a chart is drawn."""

from bot.reports.export import weekly_csv
from bot.reports.metrics import Report, program_report
from bot.reports.render import report_blocks, report_text

__all__ = ["Report", "program_report", "report_blocks", "report_text", "weekly_csv"]
