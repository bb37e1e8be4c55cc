"""A local Slack fake that runs the real bot end to end without Slack.

Usage::

    async with FakeSlack(signing_secret=..., bot_token=...) as fake:
        client = AsyncWebClient(token=fake.bot_token, base_url=fake.base_url)
        fake.app_url = "http://127.0.0.1:3000/slack/events"
        await fake.slash_command("U1", "join")
"""

from .driver import AppResponse, sign_request
from .fake import FakeSlack
from .faults import FaultRule
from .render import render_blocks
from .state import Record

__all__ = ["AppResponse", "FakeSlack", "FaultRule", "Record", "render_blocks", "sign_request"]
