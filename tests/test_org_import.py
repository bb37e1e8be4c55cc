"""`mentorbot org import FILE.csv` as HR runs it: a real process against the local Slack fake.

Each test runs the command as a subprocess with DATABASE_URL and SLACK_API_URL pointing at the
test database and the fake, on SQLite and PostgreSQL, and checks what HR reads (stdout, stderr,
exit status) and what was stored.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import random
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.models import OrgPerson
from bot.orgdata import OrgRow, org_chart
from mentorbot_sandbox.local import LocalBot

HEADER = "Email,Department,Manager_Email,Title,Timezone,Hire_Date,Cost Center\n"
# Line 2 is the CEO; Cleo (line 3) reports to her, Ravi (4) to Cleo, Juno (5) to Ravi:
# three levels under the top. Line 6 is nobody in Slack; lines 7 and 8 manage each other;
# line 9's manager is not in the file and its time zone is not a zone.
PEOPLE = (
    "ceo@example.com,Leadership,,CEO,Europe/London,2001-03-01,100\n"
    "cleo@example.com,Engineering,ceo@example.com,VP,Europe/London,2010-05-01,200\n"
    "Ravi@Example.com,Engineering,cleo@example.com,Lead,Europe/Paris,2018-01-15,200\n"
    "juno@example.com,Engineering,ravi@example.com,Engineer,Europe/Paris,2025-06-01,200\n"
    "ghost@example.com,Sales,ceo@example.com,Rep,Europe/London,2020-01-01,300\n"
    "ann@example.com,Sales,bob@example.com,Rep,Europe/London,2019-01-01,300\n"
    "bob@example.com,Sales,ann@example.com,Rep,Europe/London,2019-01-01,300\n"
    "max@example.com,Finance,nobody@example.com,Analyst,Mars/Base,2022-01-01,400\n"
)
USERS = {
    "U0CEO": "ceo@example.com",
    "U0CLEO": "cleo@example.com",
    "U0RAVI": "ravi@example.com",
    "U0JUNO": "juno@example.com",
    "U0ANN": "ann@example.com",
    "U0BOB": "bob@example.com",
    "U0MAX": "max@example.com",
}


def add_users(bot: LocalBot) -> None:
    for user_id, email in USERS.items():
        bot.fake.add_user(user_id, email.split("@")[0], email=email)


async def org_import(bot: LocalBot, path: Path) -> tuple[int, str, str]:
    """Run the command in its own process (the fake keeps answering on this event loop)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE"))}
    env.update(
        SLACK_BOT_TOKEN=bot.bot_token,
        SLACK_SIGNING_SECRET=bot.signing_secret,
        SLACK_API_URL=bot.settings.slack_api_url,
        DATABASE_URL=bot.database_url,
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "org",
        "import",
        str(path),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    return process.returncode or 0, out.decode(), err.decode()


async def stored(bot: LocalBot) -> dict[str, OrgPerson]:
    async with bot.ctx.db.session() as session:
        rows = (await session.scalars(select(OrgPerson))).all()
        return {row.slack_user_id: row for row in rows}


@pytest.mark.slow  # runs `mentorbot org import` as a process
async def test_import_reports_by_line_and_stores_whole_chains(bot: LocalBot, tmp_path) -> None:
    add_users(bot)
    path = tmp_path / "people.csv"
    path.write_bytes(("\ufeff" + HEADER + PEOPLE).encode())  # Excel's "CSV UTF-8" has a BOM
    status, out, err = await org_import(bot, path)
    assert status == 0, err
    assert out.splitlines() == [
        "Read 8 rows from people.csv.",
        "Matched 7 of them to Slack users.",
        "Not matched to a Slack user (1), by line: 6.",
        "Manager cycles, not followed (1): 7 → 8 → 7.",
        "Manager not in the file (1), by line: 9.",
        "Columns ignored: cost center.",
        "Values left out because I could not read them (1): line 9 timezone.",
    ]
    assert "@" not in out + err  # emails are never repeated
    people = await stored(bot)
    assert set(people) == set(USERS)
    juno = people["U0JUNO"]
    assert (juno.department, juno.manager_slack_id, juno.title) == (
        "Engineering",
        "U0RAVI",
        "Engineer",
    )
    assert juno.reporting_line == ["U0RAVI", "U0CLEO", "U0CEO"]  # direct, skip-level, top
    assert juno.experience_band == "0-2" and people["U0CEO"].experience_band == "21+"
    assert people["U0ANN"].reporting_line == ["U0BOB"]  # the cycle is cut, not looped on
    assert people["U0MAX"].timezone is None and people["U0MAX"].reporting_line == []
    lookups = [c for c in bot.fake.calls if c["method"] == "users.lookupByEmail"]
    assert len(lookups) == 8  # one per email of the file, unknown ones included


@pytest.mark.slow  # runs `mentorbot org import` as a process
async def test_reimport_updates_in_place_and_marks_the_missing(bot: LocalBot, tmp_path) -> None:
    add_users(bot)
    first = tmp_path / "people.csv"
    first.write_text(HEADER + PEOPLE, encoding="utf-8")
    assert (await org_import(bot, first))[0] == 0
    # Juno moves to report to Cleo directly; Max and the Sales cycle are gone from the export.
    moved = (
        "slack_id,department,manager_slack_id,years_experience\n"
        "U0CEO,Leadership,,30\n"
        "U0CLEO,Engineering,U0CEO,14\n"
        "U0RAVI,Engineering,U0CLEO,7\n"
        "U0JUNO,Platform,U0CLEO,1\n"
    )
    second = tmp_path / "people-june.csv"
    second.write_text(moved, encoding="utf-8")
    status, out, _ = await org_import(bot, second)
    assert status == 0
    assert "No longer in the org data: 3 people" in out
    people = await stored(bot)
    assert people["U0JUNO"].reporting_line == ["U0CLEO", "U0CEO"]
    assert people["U0JUNO"].department == "Platform"
    assert people["U0JUNO"].title is None  # the latest file wins, column by column
    assert {k for k, p in people.items() if not p.in_org_data} == {"U0ANN", "U0BOB", "U0MAX"}
    assert people["U0RAVI"].id == (await stored(bot))["U0RAVI"].id


BAD_FILES = {
    "latin1.csv": (
        (HEADER + "zoë@example.com,Sales,,Rep,Europe/London,2020-01-01,1\n").encode("latin-1"),
        "latin1.csv is not UTF-8 (first unreadable character on line 2)",
    ),
    "columns.csv": (b"name,department\nZoe,Sales\n", "needs an `email` or `slack_id` column"),
    "twice.csv": (
        (HEADER + PEOPLE + "RAVI@example.com,Sales,,Rep,,,\n").encode(),
        "lists the same person twice (lines 4 and 10)",
    ),
    "empty.csv": (b"", "empty.csv is empty"),
    "header.csv": (HEADER.encode(), "header.csv has a header but no people"),
}


@pytest.mark.slow  # runs `mentorbot org import` as a process
async def test_bad_files_exit_2_with_one_line_and_change_nothing(bot: LocalBot, tmp_path) -> None:
    add_users(bot)
    good = tmp_path / "people.csv"
    good.write_text(HEADER + PEOPLE, encoding="utf-8")
    assert (await org_import(bot, good))[0] == 0
    before = {
        k: (p.department, p.reporting_line, p.in_org_data) for k, p in (await stored(bot)).items()
    }
    huge = tmp_path / "huge.csv"
    with huge.open("wb") as handle:  # 100 MB, refused before it is read
        handle.write(HEADER.encode())
        handle.truncate(100 * 1024 * 1024)
    cases = {name: content for name, content in BAD_FILES.items()}
    cases["huge.csv"] = (None, "huge.csv is larger than 50 MB")
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        status, out, err = await org_import(bot, path)
        assert status == 2, name
        assert out == "" and len(err.strip().splitlines()) == 1, (name, err)
        assert message in err, (name, err)
        assert "Traceback" not in err and "@" not in err
    after = {
        k: (p.department, p.reporting_line, p.in_org_data) for k, p in (await stored(bot)).items()
    }
    assert after == before


def test_chart_of_a_random_forest_has_every_ancestor_and_never_loops() -> None:
    rng = random.Random(7)
    rows, manager = [], {}
    for k in range(300):
        boss = rng.randrange(k) if k and rng.random() < 0.95 else None
        manager[k] = boss
        rows.append(_row(k, boss))
    chart = org_chart(rows)
    assert chart.cycles == [] and chart.manager_not_in_file == []
    for k in range(300):
        expected, boss = [], manager[k]
        while boss is not None:
            expected.append(boss)
            boss = manager[boss]
        assert chart.above[k] == expected


@settings(deadline=None, max_examples=200)
@given(st.lists(st.none() | st.integers(0, 11), min_size=1, max_size=12))
def test_chart_terminates_on_any_manager_graph(bosses: list[int | None]) -> None:
    """Cycles of any shape are reported once each and every chain is finite and self-free."""
    rows = [_row(k, b if b is not None and b < len(bosses) else None) for k, b in enumerate(bosses)]
    chart = org_chart(rows)
    for k, above in enumerate(chart.above):
        assert k not in above and len(above) == len(set(above)) < len(rows)
    in_cycles = [line for cycle in chart.cycles for line in cycle]
    assert len(in_cycles) == len(set(in_cycles))


def _row(k: int, boss: int | None) -> OrgRow:
    return OrgRow(
        line=k + 2,
        slack_id=f"U{k:04d}",
        email=None,
        department=None,
        manager_slack_id=f"U{boss:04d}" if boss is not None else None,
        manager_email=None,
        title=None,
        location=None,
        timezone=None,
        band=None,
    )


def test_hire_dates_become_bands() -> None:
    from bot.orgdata import read_org_csv

    today = dt.date(2026, 6, 1)
    data = b"slack_id,hire_date,years_experience\nU001,2026-01-01,\nU002,2014-01-01,\nU003,,22\n"
    rows = read_org_csv(data, today=today).rows
    assert [r.band for r in rows] == ["0-2", "11-20", "21+"]


async def test_a_large_file_reads_the_directory_with_users_list(db) -> None:
    """Over 200 emails the import pages through users.list (1,000 members a call) instead of one
    users.lookupByEmail each; deactivated members and bots are not matched, unknown emails are
    reported by line, and the import is kept for HR admins' App Home."""
    from collections import Counter

    from bot.org_import import import_org
    from bot.services.org import last_import
    from bot.slack_client import build_client
    from bot.views.org import last_import_text
    from mentorbot_sandbox import FakeSlack

    async with FakeSlack(bot_token="xoxb-org") as fake:
        for k in range(1200):  # 1,083 members: two pages of the directory
            if k % 10 != 3:
                fake.add_user(f"U{k:05d}", f"p{k}", email=f"P{k}@example.com")
        fake.add_user("UGONE", "gone", email="p3@example.com", deleted=True)
        fake.add_user("UABOT", "abot", email="p13@example.com", is_bot=True)
        lines = ["email,manager_email"]
        lines += [f"p{k}@example.com,{f'p{k - 1}@example.com' if k else ''}" for k in range(250)]
        client = build_client("xoxb-org", fake.base_url)
        try:
            report = await import_org(
                db,
                client,
                ("\n".join(lines) + "\n").encode(),
                file="everyone.csv",
                now=dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC),
            )
        finally:
            await client.aclose()  # type: ignore[attr-defined]
        assert Counter(c["method"] for c in fake.calls) == {"users.list": 2}
    unmatched = [k + 2 for k in range(250) if k % 10 == 3]  # p3 and p13 among them
    assert report.matched == 225 and report.unmatched_lines == unmatched
    assert report.lines("everyone.csv")[2] == (
        "Not matched to a Slack user (25), by line: "
        + ", ".join(map(str, unmatched[:20]))
        + ", and 5 more."
    )
    async with db.session() as session:
        chain = await session.scalars(select(OrgPerson).where(OrgPerson.slack_user_id == "U00005"))
        # p3 is not in Slack: left out of the chain, which still goes on above them
        assert chain.one().reporting_line == ["U00004", "U00002", "U00001", "U00000"]
        last = await last_import(session)
    assert last is not None and (last.rows, last.matched, last.unmatched, last.imported_by) == (
        250,
        225,
        25,
        None,
    )
    assert last_import_text(last) == (
        "*Org data*: imported 1 Jun 2026 09:30 UTC by `mentorbot org import` from everyone.csv: "
        "250 rows read, 225 people matched to Slack users, 25 rows not matched, "
        "0 manager cycles, 0 people with a manager not in the file, "
        "0 people no longer in the file."
    )
