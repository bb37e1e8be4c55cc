"""HR's people file imported from Slack: the App Home's modal and a CSV shared in the bot's DM.

The running bot against the local Slack fake, on SQLite and PostgreSQL: the file is uploaded to
the fake (a file_input, or a file_share message in the DM), the bot reads it with files.info and
downloads it with its token, and HR reads the same report `mentorbot org import` prints.
"""

from __future__ import annotations

import pytest

from bot import ids
from mentorbot_sandbox.local import HR_ADMIN_ID, LocalBot
from tests.flows import texts_of
from tests.test_org_import import BAD_FILES, HEADER, PEOPLE, add_users, stored

pytestmark = pytest.mark.slow  # drives the running bot end to end

REPORT = [
    "Read 8 rows from people.csv.",
    "Matched 7 of them to Slack users.",
    "Not matched to a Slack user (1), by line: 6.",
    "Manager cycles, not followed (1): 7 → 8 → 7.",
    "Manager not in the file (1), by line: 9.",
    "Columns ignored: cost center.",
    "Values left out because I could not read them (1): line 9 timezone.",
]
MOVED = (
    "slack_id,department,manager_slack_id,years_experience\n"
    "U0CEO,Leadership,,30\n"
    "U0CLEO,Engineering,U0CEO,14\n"
    "U0RAVI,Engineering,U0CLEO,7\n"
    "U0JUNO,Platform,U0CLEO,1\n"
)


def snapshot(people: dict) -> dict:
    return {k: (p.department, p.reporting_line, p.in_org_data) for k, p in people.items()}


async def dm_reply(bot: LocalBot, user_id: str, count: int) -> str:
    """The bot's newest DM to `user_id` once there are `count` of its messages there."""
    fake = bot.fake

    def replies() -> list:
        return [m for m in fake.dm_messages(user_id) if m.get("bot_id")]

    await fake.wait_for(lambda: len(replies()) >= count, timeout=20)
    return texts_of(replies()[-1:])


async def test_hr_imports_the_people_file_from_the_home_tab_and_the_dm(bot: LocalBot) -> None:
    fake = bot.fake
    add_users(bot)
    fake.add_user("U0NOTHR", "not.hr", email="not.hr@example.com")
    await fake.open_home(HR_ADMIN_ID)
    home = await fake.wait_for(lambda: fake.home(HR_ADMIN_ID))
    assert "nothing imported yet" in texts_of([home])

    # App Home -> modal with one file input (CSV only, one file).
    await fake.click(HR_ADMIN_ID, ids.HOME_ADMIN_ORG_IMPORT, view_id=home["id"])
    modal = (await fake.wait_for(lambda: fake.open_views(HR_ADMIN_ID)))[-1]
    [element] = [b["element"] for b in modal["blocks"] if b["type"] == "input"]
    assert (element["type"], element["filetypes"], element["max_files"]) == (
        "file_input",
        ["csv"],
        1,
    )

    people = fake.add_file(HR_ADMIN_ID, "people.csv", ("\ufeff" + HEADER + PEOPLE).encode())

    def without_files(payload: dict) -> dict:  # Slack's client requires a file; a forged one
        payload["view"]["state"]["values"][ids.B_ORG_FILE][ids.A_ORG_FILE]["files"] = []
        return payload

    refused = await fake.submit_view(
        HR_ADMIN_ID, modal["id"], {ids.A_ORG_FILE: people}, raw_payload_edit=without_files
    )
    assert refused.errors == {ids.B_ORG_FILE: "Choose the people file to import (one CSV file)."}
    assert await stored(bot) == {}

    done = await fake.submit_view(HR_ADMIN_ID, modal["id"], {ids.A_ORG_FILE: people})
    assert done.errors is None and "Importing people.csv" in texts_of([done.view])
    summary = await dm_reply(bot, HR_ADMIN_ID, 1)
    assert summary.splitlines() == [
        ":white_check_mark: *Org data imported from people.csv*",
        *REPORT,
    ]
    assert "@" not in summary.replace(f"<@{HR_ADMIN_ID}>", "")
    await fake.wait_for(lambda: "Matched 7" in texts_of([fake.view(modal["id"])]))
    await fake.wait_for(lambda: "8 rows read" in texts_of([fake.home(HR_ADMIN_ID)]))
    home_text = texts_of([fake.home(HR_ADMIN_ID)])
    assert f"by <@{HR_ADMIN_ID}> from people.csv" in home_text
    assert "7 people matched to Slack users, 1 row not matched, 1 manager cycle" in home_text
    assert (await stored(bot))["U0JUNO"].reporting_line == ["U0RAVI", "U0CLEO", "U0CEO"]
    before = snapshot(await stored(bot))

    # The DM: someone who is not an HR admin is refused and nothing is read.
    reads = len([c for c in fake.calls if c["method"] == "files.info"])
    await fake.share_file("U0NOTHR", fake.add_file("U0NOTHR", "p.csv", MOVED.encode()))
    assert "Only HR admins" in await dm_reply(bot, "U0NOTHR", 1)
    assert len([c for c in fake.calls if c["method"] == "files.info"]) == reads

    # Files that cannot be imported: one clear sentence each, nothing half-imported.
    bad = {name: content for name, (content, _) in BAD_FILES.items()}
    bad["huge.csv"] = HEADER.encode() + b"x" * (50 * 1024 * 1024)
    bad["photo.png"] = b"\x89PNG\r\n"
    expected = {name: message for name, (_, message) in BAD_FILES.items()}
    expected["huge.csv"] = "huge.csv is larger than 50 MB"
    expected["photo.png"] = "photo.png is not a CSV file"
    replies = 1
    for name, content in bad.items():
        await fake.share_file(HR_ADMIN_ID, fake.add_file(HR_ADMIN_ID, name, content))
        replies += 1
        reply = await dm_reply(bot, HR_ADMIN_ID, replies)
        assert f"Nothing was imported from {name}" in reply and expected[name] in reply, reply
    downloads = [c for c in fake.calls if c["method"] == "files.info"]
    assert len(downloads) == 1 + len(bad)
    assert snapshot(await stored(bot)) == before

    # A re-import shared in the DM: Juno moves, three people leave the file.
    await fake.share_file(HR_ADMIN_ID, fake.add_file(HR_ADMIN_ID, "june.csv", MOVED.encode()))
    reply = await dm_reply(bot, HR_ADMIN_ID, replies + 1)
    assert "Read 4 rows from june.csv." in reply
    assert "No longer in the org data: 3 people from the previous import" in reply
    after = await stored(bot)
    assert after["U0JUNO"].reporting_line == ["U0CLEO", "U0CEO"]
    assert {k for k, p in after.items() if not p.in_org_data} == {"U0ANN", "U0BOB", "U0MAX"}
    await fake.wait_for(lambda: "from june.csv" in texts_of([fake.home(HR_ADMIN_ID)]))
    assert fake.validation_errors == []
