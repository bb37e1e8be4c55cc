"""Importing HR's people file from Slack: the modal, its progress and result, and the App Home
line about the latest import (HR admins only)."""

from __future__ import annotations

from typing import Any

from bot import ids
from bot.models import OrgImport
from bot.texts import counted, text
from bot.views import blocks as b

FILETYPES = ["csv"]


def import_modal() -> dict[str, Any]:
    """One file_input (a single CSV): the file is uploaded to Slack, and the bot reads it."""
    element = {
        "type": "file_input",
        "action_id": ids.A_ORG_FILE,
        "filetypes": FILETYPES,
        "max_files": 1,
    }
    return b.modal(
        ids.ORG_IMPORT_CALLBACK,
        text("org.modal_title"),
        [
            b.section(text("org.modal_intro")),
            b.input_block(
                ids.B_ORG_FILE, text("org.file_label"), element, hint=text("org.file_hint")
            ),
        ],
        submit=text("org.modal_submit"),
        close=text("org.modal_cancel"),
    )


def importing_modal(file: str) -> dict[str, Any]:
    """What the modal turns into at once: the import goes on after Slack's 3 s."""
    return b.modal(
        ids.ORG_IMPORT_DONE_CALLBACK,
        text("org.modal_title"),
        [b.section(text("org.importing", file=file))],
        close=text("org.modal_close"),
    )


def result_text(file: str, lines: list[str] | None, problem: str | None = None) -> str:
    """The import's report (or why nothing was imported) under a heading naming the file."""
    if problem is not None:
        return f"{text('org.failed_heading', file=file)}\n{problem}"
    return "\n".join([text("org.done_heading", file=file), *(lines or [])])


def result_modal(summary: str) -> dict[str, Any]:
    return b.modal(
        ids.ORG_IMPORT_DONE_CALLBACK,
        text("org.modal_title"),
        [b.section(summary)],
        close=text("org.modal_close"),
    )


def last_import_text(last: OrgImport | None) -> str:
    """HR admins' App Home: when, by whom and what the latest import came to (counts only)."""
    if last is None:
        return text("org.home_none")
    return text(
        "org.home_last",
        when=f"{last.imported_at:%-d %b %Y %H:%M} UTC",
        by=b.mention(last.imported_by) if last.imported_by else text("org.home_by_cli"),
        file=last.file_name,
        rows=counted(last.rows, "row"),
        matched=counted(last.matched, "person"),
        unmatched=counted(last.unmatched, "row"),
        cycles=counted(last.cycles, "cycle"),
        missing=counted(last.managers_missing, "person"),
        no_longer=counted(last.no_longer, "person"),
    )
