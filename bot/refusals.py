"""The one way a service says no: `Refusal`, carrying what to tell the person.

A service raises it inside its transaction (so nothing is written); the listener catches it and
shows `message` where the person is (a field error, an ephemeral or a DM). It names a texts key,
never personal data, so logging it is safe.
"""

from __future__ import annotations

from bot.texts import text


class Refusal(Exception):
    """The bot will not do what was asked, for a reason the person can read."""

    def __init__(self, key: str, **fields: object) -> None:
        super().__init__(key)
        self.key = key
        self.fields = fields

    @property
    def message(self) -> str:
        return text(self.key, **self.fields)
