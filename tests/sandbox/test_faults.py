"""Fault injection: every kind, nothing stored on failure, deterministic from the seed."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from mentorbot_sandbox import FakeSlack, FaultRule

from .conftest import TOKEN


@pytest.mark.parametrize(
    ("kind", "status", "error"),
    [
        ("ratelimited", 429, "ratelimited"),
        ("http_500", 500, None),
        ("http_503", 503, None),
        ("internal_error", 200, "internal_error"),
    ],
)
async def test_response_faults(
    fake: FakeSlack, client: AsyncWebClient, kind: str, status: int, error: str | None
) -> None:
    fake.faults.add(FaultRule(method="chat.postMessage", kind=kind, count=1, retry_after=2))
    with pytest.raises(SlackApiError) as info:
        await client.chat_postMessage(channel="C1", text="lost")
    resp = info.value.response
    assert resp.status_code == status
    if error:
        assert resp["error"] == error
    if kind == "ratelimited":
        assert resp.headers["Retry-After"] == "2"
    assert fake.messages("C1") == []  # the fault happened before the method took effect
    await client.chat_postMessage(channel="C1", text="kept")  # count=1: next call succeeds
    assert [m.text for m in fake.messages("C1")] == ["kept"]
    assert [c.fault for c in fake.calls] == [kind, None]


async def test_timeout_fault_holds_then_503(fake: FakeSlack) -> None:
    fake.faults.add(FaultRule(method="*", kind="timeout", count=1, delay=5))
    client = AsyncWebClient(token=TOKEN, base_url=fake.base_url, timeout=1)
    started = asyncio.get_running_loop().time()
    with pytest.raises(asyncio.TimeoutError):
        await client.chat_postMessage(channel="C1", text="slow")
    assert 0.9 < asyncio.get_running_loop().time() - started < 3
    assert fake.messages("C1") == [] and fake.calls[0].error == "timeout"


async def test_disconnect_fault(fake: FakeSlack) -> None:
    fake.faults.add(FaultRule(method="users.info", kind="disconnect", count=2))
    no_retry = AsyncWebClient(token=TOKEN, base_url=fake.base_url, retry_handlers=[])
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await no_retry.users_info(user="U1")
    default = AsyncWebClient(token=TOKEN, base_url=fake.base_url)  # retries connection errors once
    assert (await default.users_info(user="U1"))["user"]["name"] == "alice"
    assert [c.error for c in fake.calls] == ["disconnect", "disconnect", None]


async def test_rate_faults_are_deterministic_per_seed() -> None:
    async def outcomes(seed: int) -> list[bool]:
        async with FakeSlack(bot_token=TOKEN, seed=seed) as fake:
            fake.faults.add(FaultRule(method="auth.test", kind="internal_error", rate=0.5))
            client = AsyncWebClient(token=TOKEN, base_url=fake.base_url)
            results = []
            for _ in range(12):
                try:
                    await client.auth_test()
                    results.append(True)
                except SlackApiError:
                    results.append(False)
            return results

    first, again, other = await outcomes(7), await outcomes(7), await outcomes(8)
    assert first == again and True in first and False in first
    assert first != other


async def test_clear_and_rule_validation(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.faults.add(FaultRule(kind="http_500"))
    with pytest.raises(SlackApiError):
        await client.auth_test()
    fake.faults.clear()
    assert (await client.auth_test())["ok"]
    with pytest.raises(ValueError):
        FaultRule(kind="meteor")
    with pytest.raises(ValueError):
        FaultRule(kind="ratelimited", retry_after=0)
