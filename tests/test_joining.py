"""Joining and self-service, driven as Slack would: signed command -> views.open -> submission."""

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from bot import ids
from bot.models import Goal, GoalProgress, Pair, Participant, ParticipantStatus, Program
from mentorbot_sandbox import FaultRule
from tests.flows import DEFAULT_ANSWERS, add_person, join, open_modal, texts_of

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

PRIYA = "U0PRIYA01"
TOM = "U0TOM0001"


async def count(bot, model) -> int:
    async with bot.ctx.db.session() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def participant(bot, user_id: str) -> Participant | None:
    async with bot.ctx.db.session() as session:
        return await session.scalar(select(Participant).where(Participant.slack_user_id == user_id))


async def open_a_program(bot) -> None:
    async with bot.ctx.db.session() as session:
        session.add(Program(name="Spring cohort", start_date=dt.date(2026, 1, 12), length_weeks=12))


async def test_join_stores_profile_dms_and_publishes_home(bot):
    await open_a_program(bot)
    add_person(bot, PRIYA, "Priya Patel", tz="Asia/Kolkata")
    view = await open_modal(bot, PRIYA, "join")
    assert view["callback_id"] == ids.SIGNUP_CALLBACK
    tz_select = next(b for b in view["blocks"] if b.get("block_id") == ids.B_TIMEZONE)
    assert tz_select["element"]["initial_option"]["value"] == "Asia/Kolkata"  # from Slack profile

    result = await bot.fake.submit_view(
        PRIYA,
        view["id"],
        {
            ids.A_ROLE: "share",
            ids.A_EXPERIENCE: "0-2",
            ids.A_DEPARTMENT: "Marketing",
            ids.A_SHARE_TOPICS: ["generative AI tools"],
            ids.A_SHARE_OTHER: "Figma, podcasting",
            ids.A_LEARN_TOPICS: ["stakeholder management"],
            ids.A_DAYS: ["tue", "thu"],
            ids.A_CONSENT: [],
            ids.A_GOAL["category"]: "leadership_development",
            ids.A_GOAL["description"]: "Run a client meeting on my own",
            ids.A_GOAL["target"]: "2026-03-31",
        },
    )
    assert result.status == 200 and not result.errors

    stored = await participant(bot, PRIYA)
    assert stored is not None
    assert stored.role == "share" and stored.experience_band == "0-2"
    assert stored.share_topics == ["generative AI tools", "Figma", "podcasting"]
    assert stored.timezone == "Asia/Kolkata" and stored.consent_quote is False
    assert stored.program_id is not None
    dm = await bot.fake.wait_for(lambda: bot.fake.dm_messages(PRIYA))
    assert "Thanks for joining reverse mentoring, Priya!" in texts_of(dm)
    home = await bot.fake.wait_for(lambda: bot.fake.home(PRIYA))
    assert "Run a client meeting on my own" in texts_of([home])
    # One DM, not two: the welcome carries the button that rates her confidence in what she
    # wants to learn (the home is published after it, so nothing else is on its way).
    (welcome,) = bot.fake.dm_messages(PRIYA)
    assert "how confident are you today" in texts_of([welcome])
    buttons = [e["action_id"] for b in welcome["blocks"] if "elements" in b for e in b["elements"]]
    assert buttons == [ids.CONFIDENCE_OPEN]

    # The home published with the sign-up (drawn from what it had just saved) is the one she
    # sees when she opens it again later (drawn from the database).
    def drawn(blocks):  # the fake gives blocks without an id a random one
        return [{k: v for k, v in block.items() if k != "block_id"} for block in blocks]

    published_at_signup = drawn(home["blocks"])
    await bot.fake.open_home(PRIYA)
    await bot.fake.wait_for(
        lambda: [c["method"] for c in bot.fake.calls].count("views.publish") == 2
    )
    assert drawn(bot.fake.home(PRIYA)["blocks"]) == published_at_signup
    async with bot.ctx.db.session() as session:
        goal = await session.scalar(select(Goal))
        assert goal.category == "leadership_development"
        assert goal.target_date == dt.date(2026, 3, 31)
        # Her four rows as stored, read past the ORM: linked to each other, dated by the bot's
        # clock, and what she was not asked stored as SQL NULL (not JSON's `null`).
        stored_rows = (
            await session.execute(
                text(
                    "SELECT e.role, e.share_topics IS NULL, e.final_status IS NULL,"
                    " g.status, g.progress, h.progress, h.source, h.checkin_id IS NULL,"
                    " p.waiting_reason IS NULL, p.paused_until IS NULL, p.next_round"
                    " FROM participants p"
                    " JOIN enrolments e ON e.participant_id = p.id AND e.program_id = p.program_id"
                    " JOIN goals g ON g.participant_id = p.id"
                    " JOIN goal_progress h ON h.goal_id = g.id"
                )
            )
        ).all()
        assert [tuple(row) for row in stored_rows] == [
            ("share", True, True, "open", 0, 0, "goal_modal", True, True, True, False)
        ]
        clock = bot.clock.now()
        assert (stored.created_at, stored.updated_at) == (clock, clock)
        assert (goal.created_at, await session.scalar(select(GoalProgress.recorded_at))) == (
            clock,
            clock,
        )
    assert bot.fake.validation_errors == []


async def test_the_modal_opens_in_time_when_slack_is_slow_to_give_the_profile(bot):
    """A burst of joins can use up users.info's rate limit: the modal opens before its trigger
    expires, without the profile's prefill, rather than after waiting out Retry-After."""
    await open_a_program(bot)
    add_person(bot, PRIYA, "Priya Patel", tz="Asia/Kolkata")
    bot.fake.trigger_ttl = 10.0  # Slack's is 3 s; the wait below is longer than either
    bot.fake.faults.add(FaultRule(method="users.info", kind="ratelimited", count=1, retry_after=20))
    view = await open_modal(bot, PRIYA, "join")
    tz_select = next(b for b in view["blocks"] if b.get("block_id") == ids.B_TIMEZONE)
    assert tz_select["element"]["initial_option"]["value"] == bot.ctx.settings.default_timezone
    assert not (await bot.fake.submit_view(PRIYA, view["id"], DEFAULT_ANSWERS)).errors
    dm = await bot.fake.wait_for(lambda: bot.fake.dm_messages(PRIYA))
    assert "Thanks for joining reverse mentoring, there!" in texts_of(dm)  # no name to use


async def test_rejoin_prefills_and_updates_the_same_row(bot):
    add_person(bot, PRIYA, "Priya Patel")
    await join(bot, PRIYA, **{ids.A_DEPARTMENT: "Marketing"})
    await bot.fake.wait_for(lambda: bot.fake.dm_messages(PRIYA))

    view = await open_modal(bot, PRIYA, "join")
    department = next(b for b in view["blocks"] if b.get("block_id") == ids.B_DEPARTMENT)
    assert department["element"]["initial_value"] == "Marketing"
    result = await bot.fake.submit_view(PRIYA, view["id"], {ids.A_DEPARTMENT: "Sales"})
    assert not result.errors
    assert await count(bot, Participant) == 1
    assert (await participant(bot, PRIYA)).department == "Sales"


async def test_no_program_open_says_so_plainly(bot):
    add_person(bot, PRIYA, "Priya Patel")
    await join(bot, PRIYA)
    dm = await bot.fake.wait_for(lambda: bot.fake.dm_messages(PRIYA))
    assert "no mentoring program open right now" in texts_of(dm)
    assert "admin program" not in texts_of(dm)  # only HR admins are told how to open one


async def submit_with(bot, user_id, **answers):
    view = await open_modal(bot, user_id, "join")
    return await bot.fake.submit_view(user_id, view["id"], answers)


async def test_each_validation_error_lands_on_its_field_and_stores_nothing(bot):
    add_person(bot, PRIYA, "Priya Patel")
    base = {
        ids.A_ROLE: "share",
        ids.A_EXPERIENCE: "0-2",
        ids.A_DEPARTMENT: "Marketing",
        ids.A_DAYS: ["mon"],
    }
    cases = [
        (
            {ids.A_SHARE_TOPICS: [], ids.A_LEARN_TOPICS: ["negotiation"]},
            ids.B_SHARE_TOPICS,
            "at least one topic you could share",
        ),
        (
            {ids.A_ROLE: "learn", ids.A_SHARE_TOPICS: ["negotiation"]},
            ids.B_LEARN_TOPICS,
            "at least one topic you'd like to learn",
        ),
        (
            {ids.A_SHARE_TOPICS: ["negotiation"], ids.A_LEARN_TOPICS: ["negotiation"]},
            ids.B_LEARN_TOPICS,
            "exactly the topics you could share",
        ),
        ({ids.A_SHARE_TOPICS: ["negotiation"], ids.A_MANAGER: PRIYA}, ids.B_MANAGER, "That's you"),
        (
            {
                ids.A_SHARE_TOPICS: ["negotiation"],
                ids.A_GOAL["description"]: "Learn X",
                ids.A_GOAL["target"]: "2025-12-01",
            },
            ids.goal_block("target", 0),
            "in the past",
        ),
    ]
    for answers, block_id, message in cases:
        result = await submit_with(bot, PRIYA, **{**base, **answers})
        assert block_id in result.errors, (block_id, result.errors)
        assert message in result.errors[block_id]
    assert await count(bot, Participant) == 0
    assert await count(bot, Goal) == 0


async def test_over_long_text_is_refused_even_when_the_client_is_bypassed(bot):
    add_person(bot, PRIYA, "Priya Patel")
    view = await open_modal(bot, PRIYA, "join")

    def stretch(payload):
        payload["view"]["state"]["values"][ids.B_DEPARTMENT][ids.A_DEPARTMENT]["value"] = "x" * 500
        return payload

    from tests.flows import DEFAULT_ANSWERS

    result = await bot.fake.submit_view(
        PRIYA, view["id"], DEFAULT_ANSWERS, raw_payload_edit=stretch
    )
    assert "under 80 characters" in result.errors[ids.B_DEPARTMENT]
    assert await count(bot, Participant) == 0


async def test_replayed_submission_stores_one_row(bot):
    add_person(bot, PRIYA, "Priya Patel")
    view = await open_modal(bot, PRIYA, "join")
    captured = {}

    def keep(payload):
        captured.update(payload)
        return payload

    from tests.flows import DEFAULT_ANSWERS

    await bot.fake.submit_view(PRIYA, view["id"], DEFAULT_ANSWERS, raw_payload_edit=keep)
    import json
    import urllib.parse

    body = urllib.parse.urlencode({"payload": json.dumps(captured)}).encode()
    replay = await bot.fake.post_raw(body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert replay.status == 200
    assert await count(bot, Participant) == 1
    assert await count(bot, Goal) == 0  # the default answers set no goal


async def test_slack_error_opening_the_modal_tells_the_person(bot):
    from mentorbot_sandbox import FaultRule

    add_person(bot, PRIYA, "Priya Patel")
    bot.fake.faults.add(FaultRule(method="views.open", kind="http_500", count=10))
    result = await bot.fake.slash_command(PRIYA, text="join")
    assert result.status == 200
    note = await bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA), timeout=20)
    assert "run `/mentoring join` again" in texts_of(note)


async def test_stale_trigger_tells_the_person(bot):
    add_person(bot, PRIYA, "Priya Patel")
    bot.fake.trigger_ttl = 0.0
    await bot.fake.slash_command(PRIYA, text="join")
    note = await bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA))
    assert "run `/mentoring join` again" in texts_of(note)
    assert bot.fake.open_views(PRIYA) == []


async def test_goals_modal_edits_closes_and_keeps_history(bot):
    add_person(bot, PRIYA, "Priya Patel")
    await join(bot, PRIYA)
    view = await open_modal(bot, PRIYA, "goals")
    result = await bot.fake.submit_view(
        PRIYA,
        view["id"],
        {
            (ids.goal_block("category", 0), ids.A_GOAL["category"]): "tech_upskilling",
            (
                ids.goal_block("description", 0),
                ids.A_GOAL["description"],
            ): "Teach Copilot to my team",
            (ids.goal_block("category", 1), ids.A_GOAL["category"]): "inclusion",
            (
                ids.goal_block("description", 1),
                ids.A_GOAL["description"],
            ): "Run an inclusive meeting",
            (ids.goal_block("progress", 1), ids.A_GOAL["progress"]): "25",
        },
    )
    assert not result.errors
    assert await count(bot, Goal) == 2

    view = await open_modal(bot, PRIYA, "goals")
    result = await bot.fake.submit_view(
        PRIYA,
        view["id"],
        {
            (ids.goal_block("progress", 0), ids.A_GOAL["progress"]): "50",
            (ids.goal_block("state", 1), ids.A_GOAL["state"]): "closed",
        },
    )
    assert not result.errors
    async with bot.ctx.db.session() as session:
        goals = (await session.scalars(select(Goal).order_by(Goal.id))).all()
        assert [g.progress for g in goals] == [50, 25]
        assert [g.status for g in goals] == ["open", "closed"]
        history = (
            await session.scalars(
                select(GoalProgress.progress)
                .where(GoalProgress.goal_id == goals[0].id)
                .order_by(GoalProgress.id)
            )
        ).all()
        assert history == [0, 50]
    dm = await bot.fake.wait_for(
        lambda: len(bot.fake.dm_messages(PRIYA)) >= 3 and bot.fake.dm_messages(PRIYA)
    )
    assert "Teach Copilot to my team" in texts_of(dm[-1:])


async def make_pair(bot, a: str, b: str) -> None:
    async with bot.ctx.db.session() as session:
        sharer = await session.scalar(select(Participant).where(Participant.slack_user_id == a))
        learner = await session.scalar(select(Participant).where(Participant.slack_user_id == b))
        program = await session.scalar(select(Program))
        session.add(
            Pair(
                program_id=program.id,
                sharer_id=sharer.id,
                learner_id=learner.id,
                dm_channel_id="G0PAIR01",
            )
        )


async def pair_of_two(bot):
    await open_a_program(bot)
    add_person(bot, PRIYA, "Priya Patel")
    add_person(bot, TOM, "Tom Baker")
    await join(bot, PRIYA)
    await join(
        bot,
        TOM,
        **{
            ids.A_ROLE: "learn",
            ids.A_EXPERIENCE: "21+",
            ids.A_SHARE_TOPICS: ["strategic planning"],
            ids.A_LEARN_TOPICS: ["generative AI tools"],
        },
    )
    await make_pair(bot, PRIYA, TOM)


async def test_status_shows_program_partner_and_goals(bot):
    await pair_of_two(bot)
    await bot.fake.slash_command(PRIYA, text="status")
    note = await bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA))
    shown = texts_of(note)
    assert "Spring cohort" in shown and TOM in shown


async def test_pause_tells_partner_kindly_and_resume_brings_back(bot):
    await pair_of_two(bot)
    await bot.fake.slash_command(PRIYA, text="pause 2")
    # Tom's welcome DM from joining may still be on its way: wait for the note itself.
    note = await bot.fake.wait_for(
        lambda: next((m for m in bot.fake.dm_messages(TOM) if "short break" in m["text"]), None)
    )
    assert "Nothing you need to do" in note["text"]
    stored = await participant(bot, PRIYA)
    assert stored.status == ParticipantStatus.PAUSED
    assert stored.paused_until == dt.date(2026, 1, 19)

    await bot.fake.slash_command(PRIYA, text="resume")
    await bot.fake.wait_for(lambda: any("is back" in m["text"] for m in bot.fake.dm_messages(TOM)))
    assert (await participant(bot, PRIYA)).status == ParticipantStatus.ACTIVE


async def test_pause_with_bad_weeks_explains(bot):
    add_person(bot, PRIYA, "Priya Patel")
    await join(bot, PRIYA)
    await bot.fake.slash_command(PRIYA, text="pause forever")
    note = await bot.fake.wait_for(lambda: bot.fake.ephemerals(PRIYA))
    assert "from 1 to 12" in texts_of(note)


async def test_leave_confirms_then_ends_pair_and_tells_partner_and_hr(bot):
    await pair_of_two(bot)
    view = await open_modal(bot, PRIYA, "leave")
    assert view["callback_id"] == ids.LEAVE_CALLBACK
    await bot.fake.submit_view(PRIYA, view["id"], {})
    await bot.fake.wait_for(
        lambda: any("stepped out" in m["text"] for m in bot.fake.dm_messages(TOM))
    )
    from mentorbot_sandbox.local import HR_CHANNEL_ID

    await bot.fake.wait_for(
        lambda: any("no-fault" in m["text"] for m in bot.fake.messages(HR_CHANNEL_ID))
    )
    async with bot.ctx.db.session() as session:
        pair = await session.scalar(select(Pair))
        assert pair.status == "ended" and pair.end_reason == "left"
    assert (await participant(bot, PRIYA)).status == ParticipantStatus.LEFT
    assert (await participant(bot, TOM)).status == ParticipantStatus.ACTIVE


async def test_delete_my_data_erases_personal_text(bot):
    await pair_of_two(bot)
    view = await open_modal(bot, PRIYA, "goals")
    await bot.fake.submit_view(
        PRIYA,
        view["id"],
        {(ids.goal_block("description", 0), ids.A_GOAL["description"]): "My secret ambition"},
    )
    view = await open_modal(bot, PRIYA, "delete-my-data")
    await bot.fake.submit_view(PRIYA, view["id"], {})
    await bot.fake.wait_for(
        lambda: any(
            "data and answers are deleted" in m["text"] for m in bot.fake.dm_messages(PRIYA)
        )
    )
    assert await participant(bot, PRIYA) is None
    async with bot.ctx.db.session() as session:
        rows = (await session.scalars(select(Participant))).all()
        assert len(rows) == 2  # the anonymous row stays for aggregate counts
        erased = next(r for r in rows if r.status == ParticipantStatus.DELETED)
        assert erased.display_name is None and erased.department is None
        descriptions = (await session.scalars(select(Goal.description))).all()
        assert "My secret ambition" not in descriptions


async def test_app_home_for_people_and_for_hr_admins(bot):
    from mentorbot_sandbox.local import HR_ADMIN_ID

    add_person(bot, PRIYA, "Priya Patel")
    await bot.fake.open_home(PRIYA)
    home = await bot.fake.wait_for(lambda: bot.fake.home(PRIYA))
    assert "haven't joined yet" in texts_of([home])
    assert "For HR admins" not in texts_of([home])

    await bot.fake.open_home(HR_ADMIN_ID)
    admin_home = await bot.fake.wait_for(lambda: bot.fake.home(HR_ADMIN_ID))
    assert "For HR admins" in texts_of([admin_home])

    # The home's own button opens the sign-up modal.
    await bot.fake.click(PRIYA, ids.HOME_EDIT_PROFILE, view_id=home["id"])
    modal = await bot.fake.wait_for(lambda: bot.fake.open_views(PRIYA))
    assert modal[-1]["callback_id"] == ids.SIGNUP_CALLBACK


def topic_options(view: dict) -> set[str]:
    """The topics a sign-up modal offers to share (the same catalogue as to learn)."""
    block = next(b for b in view["blocks"] if b.get("block_id") == ids.B_SHARE_TOPICS)
    return {option["text"]["text"] for option in block["element"]["options"]}


async def test_a_topic_hr_adds_is_offered_at_the_next_join_whichever_process_added_it(bot):
    """The bot keeps the catalogue between joins and reads it again only when a topic was
    added: here in Slack, then by another process (a second replica) with its own engine."""
    from bot.db import Database
    from bot.models import Topic
    from mentorbot_sandbox.local import HR_ADMIN_ID

    await open_a_program(bot)
    add_person(bot, PRIYA, "Priya Patel")
    assert "Quantum gardening" not in topic_options(await open_modal(bot, PRIYA, "join"))

    await bot.fake.slash_command(HR_ADMIN_ID, text="admin topics Quantum gardening")
    await bot.fake.wait_for(
        lambda: "Quantum gardening" in texts_of(bot.fake.ephemerals(HR_ADMIN_ID))
    )
    assert "Quantum gardening" in topic_options(await open_modal(bot, PRIYA, "join"))

    elsewhere = Database(bot.database_url)
    try:
        async with elsewhere.session() as session:
            session.add(Topic(label="Soil science", added_by=HR_ADMIN_ID))
    finally:
        await elsewhere.dispose()
    offered = topic_options(await open_modal(bot, PRIYA, "join"))
    assert {"Quantum gardening", "Soil science"} <= offered
