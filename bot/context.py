"""The dependencies every handler and job receives: passed in, never imported as globals."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.identity import BotIdentity
from bot.prompts import Prompt
from bot.services.participants import TopicCatalogue
from bot.tasks import TaskRegistry


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock
    client: AsyncWebClient
    prompts: tuple[Prompt, ...]
    identity: BotIdentity = field(init=False)  # who the bot is in Slack, asked once
    tasks: TaskRegistry = field(init=False)  # work that shutdown waits for
    topics: TopicCatalogue = field(init=False)  # read again only when HR adds a topic

    def __post_init__(self) -> None:
        self.identity = BotIdentity(self.client)
        self.tasks = TaskRegistry()
        self.topics = TopicCatalogue()

    def is_admin(self, user_id: str) -> bool:
        return self.settings.is_hr_admin(user_id)
