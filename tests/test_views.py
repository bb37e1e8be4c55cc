"""Every view builder produces Block Kit Slack accepts, at the sizes people will really reach."""

import datetime as dt

import pytest

from bot.models import Goal, Pair, Participant, ParticipantStatus, Program
from bot.services.dashboard import PersonalView, ProgramNumbers
from bot.texts import raw
from bot.views.admin import program_modal, proposal_blocks
from bot.views.goals import goal_line, goals_modal, progress_bar
from bot.views.help import help_blocks
from bot.views.home import home_view
from bot.views.kickoff import kickoff_blocks
from bot.views.selfservice import delete_modal, leave_modal, status_blocks
from bot.views.signup import signup_modal
from mentorbot_sandbox.blockkit import check_message_blocks, check_view

LONG = "x" * 500


def person(pid: int, user: str, **kw) -> Participant:
    defaults = dict(
        id=pid,
        slack_user_id=user,
        display_name="Someone With A Long Name",
        role="share",
        experience_band="0-2",
        department="D" * 80,
        timezone="Europe/London",
        share_topics=[f"topic {i} " + "y" * 50 for i in range(15)],
        learn_topics=["strategic planning"],
        available_days=["mon", "tue"],
        time_of_day="morning",
        meeting_minutes=30,
        status=ParticipantStatus.ACTIVE,
        consent_quote=False,
    )
    defaults.update(kw)
    return Participant(**defaults)


def goal(gid: int, pid: int) -> Goal:
    return Goal(
        id=gid,
        participant_id=pid,
        category="tech_upskilling",
        description=LONG,
        success_measure=LONG,
        target_date=dt.date(2026, 6, 1),
        progress=50,
    )


PROGRAM = Program(
    id=1,
    name="P" * 80,
    start_date=dt.date(2026, 1, 5),
    length_weeks=12,
    cadence_weeks=1,
    checkin_weekday="tue",
    checkin_time=dt.time(10),
)


def test_help_blocks_valid_for_both_audiences():
    for admin in (True, False):
        check_message_blocks(help_blocks(is_admin=admin, unknown="x" * 200))


@pytest.mark.parametrize("existing", [False, True])
def test_signup_modal_valid_new_and_prefilled(existing):
    catalogue = list(raw("catalogue.topics")) + [f"HR topic {i}" for i in range(100)]
    view = signup_modal(
        catalogue=catalogue,
        timezone="America/Argentina/Buenos_Aires" if existing else "Asia/Kathmandu",
        participant=person(1, "U1") if existing else None,
        program_name="P" * 80,
        ask_first_goal=not existing,
    )
    check_view(view)


def test_goals_modal_valid_with_three_long_goals():
    check_view(goals_modal([goal(i, 1) for i in range(1, 4)]))
    check_view(goals_modal([]))


def test_home_and_status_valid_for_every_state():
    sharer, learner = person(1, "U1"), person(2, "U2", role="learn")
    pair = Pair(id=1, program_id=1, sharer_id=1, learner_id=2, dm_channel_id="G1")
    numbers = ProgramNumbers(PROGRAM, 9999, 9000, 500, 499, 4000, 1000)
    states = [
        PersonalView(None, None, None, None),
        PersonalView(
            sharer,
            PROGRAM,
            learner,
            pair,
            [goal(i, 1) for i in range(3)],
            dt.datetime(2026, 1, 13, 10, tzinfo=dt.UTC),
        ),
        PersonalView(
            person(1, "U1", status=ParticipantStatus.PAUSED, paused_until=dt.date(2026, 2, 1)),
            None,
            None,
            None,
        ),
        PersonalView(person(1, "U1", status=ParticipantStatus.LEFT), PROGRAM, None, None),
    ]
    for state in states:
        check_view(home_view(state, numbers))
        check_view(home_view(state, None))
        check_message_blocks(status_blocks(state))


def test_confirmations_and_program_modal_valid():
    check_view(leave_modal())
    check_view(delete_modal())
    check_view(program_modal(None, "C123"))
    check_view(program_modal(PROGRAM, None))


def test_proposal_fits_a_message_for_a_large_program():
    data = {
        "pool": 2000,
        "pairs": [
            {
                "sharer": f"US{i}",
                "learner": f"UL{i}",
                "sharer_name": "n" * 80,
                "learner_name": "m",
                "score": 0.5,
                "reasons": ["r" * 190] * 4,
            }
            for i in range(900)
        ],
        "unmatched": [{"user": f"UU{i}", "reason": "odd one out"} for i in range(200)],
    }
    blocks = proposal_blocks("P" * 80, 1, data)
    check_message_blocks(blocks)
    assert len(blocks) <= 50


def test_kickoff_valid_with_long_content():
    blocks = kickoff_blocks(
        program=PROGRAM,
        sharer=person(1, "U1"),
        learner=person(2, "U2"),
        reasons=["r" * 190] * 4,
        goals={1: [goal(i, 1) for i in range(3)], 2: [goal(i, 2) for i in range(3)]},
        prompt_text="p" * 2000,
    )
    check_message_blocks(blocks)


def test_goal_line_shows_progress_and_date():
    line = goal_line(goal(1, 1))
    assert "50%" in line and "1 Jun 2026" in line
    assert progress_bar(0) == "▱" * 10 and progress_bar(100) == "▰" * 10


def test_counts_read_as_words_one_pair_and_two_people():
    """No "1 pairs": counts are filled in with the noun's singular or plural."""
    from bot.texts import counted
    from mentorbot_sandbox.render import render_blocks

    assert (counted(1, "pair"), counted(0, "pair"), counted(1, "person")) == (
        "1 pair",
        "0 pairs",
        "1 person",
    )
    pair = {
        "sharer": "US1",
        "learner": "UL1",
        "sharer_name": "Ana",
        "learner_name": "Raj",
        "score": 0.5,
        "reasons": ["fits"],
    }
    shown = render_blocks(
        proposal_blocks("Spring", 1, {"pool": 3, "pairs": [pair], "unmatched": []})
    )
    assert "1 pair from 3 people waiting for a partner" in shown
    home = home_view(
        PersonalView(None, None, None, None), ProgramNumbers(PROGRAM, 2, 2, 0, 0, 1, 0)
    )
    assert "· 1 pair ·" in render_blocks(home["blocks"])


def test_import_modal_and_home_line_within_slack_limits():
    from bot.views.org import import_modal, importing_modal, result_modal, result_text

    check_view(import_modal())
    check_view(importing_modal("people & co.csv"))
    summary = result_text(
        "a.csv", None, "a.csv is empty: export the people list with a header row."
    )
    check_view(result_modal(summary))
    assert summary.startswith(":warning: *Nothing was imported from a.csv*\n")
    admin = home_view(PersonalView(None, None, None, None), ProgramNumbers(None, 0, 0, 0, 0, 0, 0))
    check_view(admin)
    assert "nothing imported yet" in render_home(admin)


def render_home(view: dict) -> str:
    from mentorbot_sandbox.render import render_blocks

    return render_blocks(view["blocks"])
