"""HR's people file from Slack: the App Home's import modal, and a CSV shared in the bot's DM.

Both end in the pipeline `mentorbot org import` uses (`bot.org_import`): the same checks, one
transaction, the same report. An import can take minutes (email lookups under Slack's rate
limits), so the modal is acked at once with an "importing" view and the work goes on after the
ack; the admin then gets the summary in a DM, in the modal if it is still open, and on their App
Home. Only HR admins may import; anyone else is told so and nothing is read.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import httpx
from slack_bolt.async_app import AsyncAck, AsyncBoltContext
from slack_sdk.errors import SlackApiError

from bot import ids, notify
from bot.context import AppContext
from bot.forms import StateReader
from bot.listeners import Routes, app_context
from bot.middleware import DATABASE_ERRORS
from bot.org_import import (
    SlackFile,
    check_org_file,
    download_org_file,
    file_info,
    import_for,
)
from bot.orgdata import OrgFileError
from bot.outbox import SLACK_ERRORS, open_on_click, publish_home, tell
from bot.slack_client import SlackUnreachable
from bot.texts import text
from bot.views.org import import_modal, importing_modal, result_modal, result_text

log = logging.getLogger(__name__)
DOWNLOAD_ERRORS = (*SLACK_ERRORS, httpx.HTTPError)  # SlackUnreachable is an OSError


async def import_from_slack(ctx: AppContext, user_id: str, file_id: str, name: str) -> str:
    """Describe, check, download and import one file; the summary to show the admin (or why
    nothing was imported: the file's own problem, or Slack or the database being down)."""
    try:
        file: SlackFile = await file_info(ctx.client, file_id)
        name = file.name
        check_org_file(file)
        data = await download_org_file(ctx.client, file)
    except OrgFileError as exc:
        return result_text(name, None, str(exc))
    except DOWNLOAD_ERRORS as exc:
        log.warning("org file not downloaded", extra={"error_type": type(exc).__name__})
        return result_text(name, None, text("org.not_downloadable", file=name))
    try:
        report = await import_for(ctx, data, file=name, imported_by=user_id)
    except OrgFileError as exc:
        return result_text(name, None, str(exc))
    except (SlackApiError, SlackUnreachable):
        return result_text(name, None, text("org.slack_down"))
    except DATABASE_ERRORS:
        return result_text(name, None, text("errors.database_down"))
    return result_text(name, report.lines(name))


async def open_import(ack: AsyncAck, body: dict[str, Any], context: AsyncBoltContext) -> None:
    """App Home's "Import org data" button: the modal with one file input."""
    await ack()
    ctx = app_context(context)
    if not ctx.is_admin(body["user"]["id"]):
        await tell(ctx, body, text("errors.not_admin"))
        return
    await open_on_click(ctx, body, import_modal())


def submitted_problem(files: list[dict[str, Any]]) -> str | None:
    """What is wrong with the modal's files, as far as the payload tells (exactly one CSV of
    at most the import's size); files.info checks again after the ack."""
    if len(files) != 1:
        return text("org.file_missing_field")
    described = file_info_of(files[0])
    try:
        check_org_file(described)
    except OrgFileError as exc:
        return str(exc)
    return None


def file_info_of(file: dict[str, Any]) -> SlackFile:
    """A payload's file object as the import sees it (possibly partial: no size yet)."""
    return SlackFile(
        id=str(file["id"]),
        name=str(file.get("name") or file.get("title") or file["id"]),
        filetype=str(file.get("filetype") or "csv"),
        size=int(file.get("size") or 0),
        url="",
    )


async def submit_import(
    ack: AsyncAck, body: dict[str, Any], view: dict[str, Any], context: AsyncBoltContext
) -> None:
    """The modal's file: a field error, or "importing" at once and the import after the ack."""
    ctx = app_context(context)
    user_id = body["user"]["id"]
    if not ctx.is_admin(user_id):  # a replayed or forged submission
        await ack(response_action="errors", errors={ids.B_ORG_FILE: text("errors.not_admin")})
        return
    files = StateReader(view).files(ids.B_ORG_FILE, ids.A_ORG_FILE)
    problem = submitted_problem(files)
    if problem is not None:
        await ack(response_action="errors", errors={ids.B_ORG_FILE: problem})
        return
    name = file_info_of(files[0]).name
    await ack(response_action="update", view=importing_modal(name))
    summary = await import_from_slack(ctx, user_id, files[0]["id"], name)
    with contextlib.suppress(*SLACK_ERRORS):  # closed already: the DM has the same summary
        await ctx.client.views_update(view_id=view["id"], view=result_modal(summary))
    await notify.dm(ctx, user_id, summary)
    await publish_home(ctx, user_id)


async def on_dm_message(event: dict[str, Any], context: AsyncBoltContext) -> None:
    """A file shared in the bot's DM: an HR admin's CSV is imported and the summary replied;
    anyone else is refused. Other DM messages need no answer (Bolt acks every event)."""
    user_id = event.get("user")
    files = event.get("files")
    if (
        event.get("channel_type") != "im"
        or event.get("subtype") not in (None, "file_share")  # not edits, joins, bot posts
        or not isinstance(user_id, str)
        or not isinstance(files, list)
        or not files
    ):
        return
    ctx = app_context(context)
    if not ctx.is_admin(user_id):
        log.info("org import refused", extra={"user": user_id})
        await notify.dm(ctx, user_id, text("errors.not_admin"))
        return
    if len(files) != 1 or not isinstance(files[0], dict) or not files[0].get("id"):
        await notify.dm(ctx, user_id, text("org.one_file"))
        return
    summary = await import_from_slack(
        ctx, user_id, str(files[0]["id"]), file_info_of(files[0]).name
    )
    await notify.dm(ctx, user_id, summary)
    await publish_home(ctx, user_id)


def register(routes: Routes) -> None:
    routes.action(ids.HOME_ADMIN_ORG_IMPORT, open_import)
    routes.view(ids.ORG_IMPORT_CALLBACK, submit_import)
    routes.event("message", on_dm_message)
