"""The bot's own record of work still running after Slack got its answer.

Listeners ack first and carry on in a task Bolt starts; scheduled jobs run in tasks APScheduler
starts. Nothing awaits those, so at exit `asyncio.run` would cancel them: a person's confirmation
or a job's posts lost halfway. Each such task enrols itself here, and shutdown waits for them.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


class TaskRegistry:
    def __init__(self) -> None:
        self._running: set[asyncio.Task[object]] = set()

    def enrol_current(self) -> None:
        """Have shutdown wait for the task running this code (a listener's, a job's)."""
        task = asyncio.current_task()
        if task is not None and task not in self._running:
            self._running.add(task)
            task.add_done_callback(self._running.discard)

    @property
    def running(self) -> int:
        return len(self._running)

    async def finish(self, grace: float) -> None:
        """Wait up to `grace` seconds for enrolled work; what is left then is cancelled at exit."""
        pending = {t for t in self._running if t is not asyncio.current_task()}
        if not pending:
            return
        _, left = await asyncio.wait(pending, timeout=grace)
        if left:
            log.warning("shutdown grace over; work cancelled", extra={"tasks": len(left)})
