"""The floor `bench/bench_ack.py` compares `mentorbot serve` with: a bare Bolt app (not a test).

    SLACK_SIGNING_SECRET=... SLACK_BOT_TOKEN=... SLACK_API_URL=... PORT=... \
        python bench/bare_bolt_app.py

Bolt's `AsyncApp` behind Bolt's own aiohttp adapter (`AsyncApp.web_app`, POST /slack/events), with
Bolt's default middleware and one listener per kind of request that only acks; `/mentoring join`
also opens a one-field modal after the ack, as Mentorbot opens its sign-up modal. GET /healthz
answers 200 so the benchmark knows it is up.
"""

from __future__ import annotations

import asyncio
import os
import re

from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

ONE_FIELD_MODAL = {
    "type": "modal",
    "callback_id": "bare_modal",
    "title": {"type": "plain_text", "text": "Join"},
    "submit": {"type": "plain_text", "text": "Join"},
    "blocks": [
        {
            "type": "input",
            "block_id": "goal",
            "label": {"type": "plain_text", "text": "Goal"},
            "element": {"type": "plain_text_input", "action_id": "goal"},
        }
    ],
}


def build_app() -> AsyncApp:
    # popped: Bolt would read the token from the environment too and warn that `client` wins
    token = os.environ.pop("SLACK_BOT_TOKEN")
    client = AsyncWebClient(token=token, base_url=os.environ["SLACK_API_URL"])
    app = AsyncApp(
        client=client,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        process_before_response=False,
    )

    @app.command(re.compile(r"/.*"))
    async def command(ack, command, client) -> None:
        await ack()
        if command.get("text", "").strip() == "join":
            await client.views_open(trigger_id=command["trigger_id"], view=ONE_FIELD_MODAL)

    @app.action(re.compile(r".*"))
    async def action(ack) -> None:
        await ack()

    @app.view(re.compile(r".*"))
    async def view(ack) -> None:
        await ack()

    @app.event("app_home_opened")
    async def home_opened() -> None:
        return None

    return app


async def main() -> None:
    web_app = build_app().web_app(path="/slack/events")

    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    web_app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", int(os.environ["PORT"])).start()
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main())
