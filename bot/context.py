"""The dependencies every handler and job receives: passed in, never imported as globals."""

from __future__ import annotations

from dataclasses import dataclass, field

from slack_sdk.web.async_client import AsyncWebClient

from bot.clock import Clock
from bot.config import Settings
from bot.db import Database
from bot.prompts import Prompt
from bot.slack_client import ProfileCache


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock
    client: AsyncWebClient
    prompts: tuple[Prompt, ...]
    profiles: ProfileCache = field(default_factory=ProfileCache)

    def is_admin(self, user_id: str) -> bool:
        return self.settings.is_hr_admin(user_id)
