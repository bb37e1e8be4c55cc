"""The demo is the project's end-to-end smoke test: a small program played to the end."""

import csv
import io

import icalendar
import pytest
from sqlalchemy import func, select

from bot.db import Database
from bot.models import Checkin, Enrolment, Pair, Participant, Program
from mentorbot_sandbox.demo import FIRST_PROGRAM, run_demo

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it


async def test_demo_plays_a_program_and_its_files_agree_with_the_database(db_url, tmp_path, capsys):
    out = tmp_path / "demo-out"
    status = await run_demo(
        people=12, weeks=5, seed=3, out=str(out), quiet=True, database_url=db_url
    )
    assert status == 0
    summary = capsys.readouterr().out
    assert "12 people joined" in summary
    assert "4 late joiners chose in the sign-up modal; 2 programs closed by themselves" in summary
    assert "(s)" not in summary  # counts agree with their nouns: "1 pair was", "2 pairs were"

    report = (out / "report.txt").read_text()
    rows = list(csv.DictReader(io.StringIO((out / "weekly.csv").read_text())))
    assert (out / "chart.png").read_bytes().startswith(b"\x89PNG")
    transcript = (out / "transcript.txt").read_text()
    assert "Welcome to your reverse mentoring pair" in transcript
    assert "Week 2 check-in" in transcript
    assert "has ended: thank you" in transcript  # the featured pair's wrap-up
    assert "Final report" in transcript  # HR's, once per program
    assert "confirmed your regular meeting" in transcript
    # One pair moved a week: its calendar update keeps the series and overrides that week.
    invite = icalendar.Calendar.from_ical((out / "meeting.ics").read_bytes())
    events = invite.walk("VEVENT")
    assert len({str(e["UID"]) for e in events}) == 1 and len(events) == 2
    assert any("RECURRENCE-ID" in e for e in events) and any("RRULE" in e for e in events)

    database = Database(db_url)
    async with database.session() as session:
        people = await session.scalar(select(func.count()).select_from(Participant))
        first = await session.scalar(select(Program).where(Program.name == FIRST_PROGRAM))
        in_first = await session.scalar(
            select(func.count()).where(Enrolment.program_id == first.id)
        )
        pairs = await session.scalar(select(func.count()).select_from(Pair))
        checkins = await session.scalar(
            select(func.count())
            .select_from(Checkin)
            .where(Checkin.kind == "checkin", Checkin.program_id == first.id)
        )
    await database.dispose()
    assert people == 12 and in_first == 8 and f"{in_first} enrolled" in report
    assert len(rows) == checkins  # one CSV row per pair per week, as posted
    assert {r["pair_id"] for r in rows} <= {str(i) for i in range(1, pairs + 1)}
