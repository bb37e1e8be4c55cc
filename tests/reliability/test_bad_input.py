"""Malformed and hostile requests, correctly signed: never a 500, never an exception shown to
anyone, field errors a person can act on, and nothing stored from an invalid submission.

Requests are generated with hypothesis and POSTed to /slack/events through the fake (signed like
Slack). Bolt answers requests no listener handles with 404; that is fine, so is 400 for a body that
is not what Slack sends. Hypothesis runs synchronously, so the bot runs on its own loop in a thread.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import ids
from bot.models import Goal, Participant
from bot.scheduler.checkins import run_checkins
from mentorbot_sandbox.local import HR_ADMIN_ID
from tests.flows import DEFAULT_ANSWERS, add_person, open_modal, texts_of

from .helpers import WEEK2_DUE, checkin_posts, count, make_pairs, row_counts

pytestmark = pytest.mark.slow  # drives the running bot end to end; `-m "not slow"` skips it

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
LEAK = re.compile(
    r"Traceback|File \"|\b\w+(Error|Exception)\b|sqlalchemy|asyncpg|aiosqlite|sqlite3|"
    r"psycopg|NoneType|object has no attribute|line \d+",
)
OK_STATUSES = {200, 400, 404}
EXAMPLES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)

EDGE_TEXT = [
    "",
    " ",
    "\u202eevil\u202c",  # right-to-left override
    "שלום עולם",  # RTL script
    "zero\u200bwidth\u200djoiner\ufeff",
    "👩‍👩‍👧‍👦🏳️‍🌈",
    "\ud800",  # a lone surrogate, as JSON "\ud800" decodes to
    "\udfff tail",
    "\x00nul",
    "²",  # a digit Python's isdigit() accepts and int() refuses
    "١٢",
    "1" * 5000,  # more digits than int() converts
    "99999999999999999999",
    "-1",
    "x" * 100_000,  # 100 KB
    "'; DROP TABLE participants; --",
    "<script>alert(1)</script>",
    "{not json",
    "%s %(name)s {0} {name}",
    "null",
]
ACTION_IDS = sorted(
    {
        v
        for k, v in vars(ids).items()
        if isinstance(v, str) and k.isupper() and not k.startswith("B_")
    }
    | {"unknown_action"}
)
CALLBACK_IDS = [
    ids.SIGNUP_CALLBACK,
    ids.GOALS_CALLBACK,
    ids.FEEDBACK_CALLBACK,
    ids.SURVEY_CALLBACK,
    ids.REPAIR_CALLBACK,
    ids.PROGRAM_CALLBACK,
    ids.LEAVE_CALLBACK,
    ids.DELETE_CALLBACK,
    "unknown_callback",
]
USERS = ["U0SHR0000", "U0LRN0000", HR_ADMIN_ID, "U0NOBODY1"]

texts = st.one_of(st.sampled_from(EDGE_TEXT), st.text(max_size=30))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
ids_like = st.one_of(
    st.integers(min_value=-(2**40), max_value=2**70), st.booleans(), texts, st.none(), json_values
)
metadata = st.one_of(
    texts,
    st.builds(
        lambda c, g, k, p, pr: json.dumps(
            {"checkin_id": c, "goal_ids": g, "kind": k, "pair_id": p, "program_id": pr}
        ),
        ids_like,
        st.one_of(st.lists(ids_like, max_size=4), ids_like),
        st.one_of(st.sampled_from(["mid", "end"]), texts),
        ids_like,
        ids_like,
    ),
)
option = st.one_of(
    st.builds(lambda v: {"value": v, "text": {"type": "plain_text", "text": "x"}}, texts),
    json_values,
)
element_state = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("plain_text_input"), "value": st.one_of(texts, json_values)}
    ),
    st.fixed_dictionaries({"type": st.just("static_select"), "selected_option": option}),
    st.fixed_dictionaries(
        {
            "type": st.just("multi_static_select"),
            "selected_options": st.one_of(st.lists(option, max_size=3), json_values),
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("datepicker"), "selected_date": st.one_of(texts, json_values)}
    ),
    st.fixed_dictionaries(
        {"type": st.just("users_select"), "selected_user": st.one_of(texts, json_values)}
    ),
    json_values,
)
edge_option = st.builds(
    lambda v: {"value": v, "text": {"type": "plain_text", "text": "x"}}, st.sampled_from(EDGE_TEXT)
)
#: What one input of a real modal can be made to carry: mostly hostile strings, in every shape.
hostile_element = st.one_of(
    st.builds(lambda v: {"type": "plain_text_input", "value": v}, st.sampled_from(EDGE_TEXT)),
    st.builds(lambda o: {"type": "static_select", "selected_option": o}, edge_option),
    st.builds(
        lambda os: {"type": "multi_static_select", "selected_options": os},
        st.lists(edge_option, max_size=3),
    ),
    st.builds(lambda v: {"type": "datepicker", "selected_date": v}, st.sampled_from(EDGE_TEXT)),
    st.builds(lambda v: {"type": "users_select", "selected_user": v}, st.sampled_from(EDGE_TEXT)),
    element_state,
)
block_ids = st.sampled_from(
    [v for k, v in vars(ids).items() if k.startswith("B_") and isinstance(v, str)]
    + [ids.goal_block(f, s) for f in ids.A_GOAL for s in range(3)]
    + ["fb_goal_1", "fb_goal_99999999999999999999", "nonsense"]
)
state_values = st.one_of(
    st.dictionaries(
        block_ids,
        st.dictionaries(st.sampled_from([*ACTION_IDS, "x"]), element_state, max_size=2),
        max_size=6,
    ),
    json_values,
)
views = st.one_of(
    st.fixed_dictionaries(
        {
            "id": st.just("V0HOSTILE"),
            "type": st.sampled_from(["modal", "home", "nonsense"]),
            "callback_id": st.one_of(st.sampled_from(CALLBACK_IDS), texts),
            "private_metadata": metadata,
            "blocks": st.one_of(st.just([]), json_values),
            "state": st.one_of(st.fixed_dictionaries({"values": state_values}), json_values),
        }
    ),
    json_values,
)
users = st.one_of(
    st.builds(
        lambda u: {"id": u, "username": "x", "name": "x", "team_id": "T0001"},
        st.sampled_from(USERS),
    ),
    st.builds(lambda u: {"id": u}, texts),
    json_values,
)
actions = st.one_of(
    st.lists(
        st.fixed_dictionaries(
            {
                "action_id": st.one_of(st.sampled_from(ACTION_IDS), texts),
                "block_id": st.one_of(st.just("b"), texts),
                "type": st.sampled_from(["button", "static_select", "overflow"]),
                "value": st.one_of(texts, ids_like),
                "selected_option": option,
            }
        ),
        max_size=2,
    ),
    json_values,
)
interactions = st.builds(
    lambda kind, user, acts, view, trigger, channel: {
        k: v
        for k, v in {
            "type": kind,
            "team": {"id": "T0001", "domain": "sandbox"},
            "user": user,
            "api_app_id": "A0SANDBOX",
            "token": "sandbox-verification-token",
            "trigger_id": trigger,
            "actions": acts,
            "view": view,
            "channel": channel,
            "container": {"type": "message", "channel_id": "C1", "message_ts": "1.0"},
        }.items()
        if v is not ...
    },
    st.one_of(
        st.sampled_from(
            [
                "block_actions",
                "view_submission",
                "view_closed",
                "shortcut",
                "block_suggestion",
                "message_action",
            ]
        ),
        texts,
    ),
    users,
    st.one_of(actions, st.just(...)),
    st.one_of(views, st.just(...)),
    st.one_of(st.uuids().map(str), texts, json_values),
    st.one_of(st.just(...), json_values, st.builds(lambda c: {"id": c}, texts)),
)
events = st.builds(
    lambda event, event_id: {
        "token": "sandbox-verification-token",
        "team_id": "T0001",
        "api_app_id": "A0SANDBOX",
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1,
        "event": event,
    },
    st.one_of(
        st.fixed_dictionaries(
            {
                "type": st.one_of(
                    st.sampled_from(["app_home_opened", "message", "app_mention"]), texts
                ),
                "user": st.one_of(st.sampled_from(USERS), texts, json_values),
                "tab": st.one_of(st.sampled_from(["home", "messages"]), json_values),
                "channel": st.one_of(texts, json_values),
            }
        ),
        json_values,
    ),
    st.one_of(st.uuids().map(lambda u: f"Ev{u.hex}"), texts, json_values),
)
slash_texts = st.one_of(
    texts,
    st.builds(
        lambda sub, arg: f"{sub} {arg}",
        st.sampled_from(
            [
                "join",
                "goals",
                "status",
                "pause",
                "resume",
                "leave",
                "delete-my-data",
                "help",
                "admin",
                "admin topics",
                "admin program",
                "report",
                "report csv",
            ]
        ),
        texts,
    ),
)
bad_json = st.one_of(
    st.sampled_from(
        ["{not json", "[1,2", "", "null", "5", '"str"', "[]", "{'single': 1}", "\ud800", "{" * 5000]
    ),
    st.text(max_size=40),
)


def assert_clean(result) -> None:
    assert not result.timed_out, "no answer within Slack's 3 s"
    assert result.status in OK_STATUSES, (result.status, result.body[:300])
    assert not LEAK.search(result.body), result.body[:300]


def everything_people_saw(fake) -> str:
    seen = []
    for channel in list(fake.channels):
        seen.append(texts_of(fake.messages(channel)))
    for user in list(fake.users):
        seen.append(texts_of(fake.ephemerals(user)))
    return "\n".join(seen)


def encode_payload(payload) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


@pytest.fixture
def hostile_bot(threaded_bot):
    """A bot with two pairs and their week-2 check-ins, HR's program open."""
    bot = threaded_bot.local

    async def setup():
        await make_pairs(bot, 2)
        bot.clock.set(WEEK2_DUE)
        await run_checkins(bot.ctx)

    threaded_bot.run(setup())
    return threaded_bot


def test_hostile_envelopes_are_refused_quietly(hostile_bot):
    bot = hostile_bot.local
    before = hostile_bot.run(row_counts(bot.ctx.db))

    @EXAMPLES
    @given(
        st.one_of(
            interactions.map(lambda p: ("form", encode_payload(p))),
            events.map(lambda e: ("json", json.dumps(e).encode())),
            bad_json.map(
                lambda j: (
                    "form",
                    b"payload=" + urllib.parse.quote(j, errors="surrogatepass").encode(),
                )
            ),
            json_values.map(lambda j: ("json", json.dumps(j).encode())),
        )
    )
    def hostile(request):
        kind, body = request
        result = hostile_bot.run(bot.fake.post_raw(body, FORM if kind == "form" else JSON))
        assert_clean(result)

    hostile()
    hostile_bot.run(asyncio.sleep(0.5))  # let listeners that acked first finish
    assert not LEAK.search(everything_people_saw(bot.fake))
    after = hostile_bot.run(row_counts(bot.ctx.db))
    # Some generated requests are valid clicks (an answer, a rating): those may store their row.
    # None can create people, programs, pairs, goals or proposals.
    for table in ("participants", "programs", "pairs", "goals", "match_proposals", "checkins"):
        assert after[table] == before[table], table


def test_hostile_slash_commands_get_plain_answers(hostile_bot):
    bot = hostile_bot.local
    person = "U0SHR0000"

    @EXAMPLES
    @given(slash_texts, st.one_of(st.sampled_from(USERS), texts))
    def command(words, user):
        # A form post carries UTF-8 bytes: a lone surrogate cannot be sent, Slack sends U+FFFD.
        words = words.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        user = user.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        if user in bot.fake.users:
            result = hostile_bot.run(bot.fake.slash_command(user, text=words))
        else:  # someone Slack does not know: still signed, so forged by nobody but Slack
            form = {"command": "/mentoring", "text": words, "user_id": user, "trigger_id": "1.2.3"}
            body = urllib.parse.urlencode(form).encode()
            result = hostile_bot.run(bot.fake.post_raw(body, FORM))
        assert_clean(result)

    command()
    hostile_bot.run(asyncio.sleep(0.5))
    assert not LEAK.search(everything_people_saw(bot.fake))
    assert hostile_bot.run(count(bot.ctx.db, Participant)) == 4  # nobody was created
    assert bot.fake.ephemerals(person)  # the person got answers they can read


def test_tampered_real_modals_store_nothing_when_invalid(hostile_bot):
    """Real modals (sign-up, goals, feedback) submitted with tampered values and metadata."""
    bot = hostile_bot.local
    person = "U0SHR0000"

    async def real_views() -> dict[str, dict]:
        found = {}
        add_person(bot, "U0NEWBIE1", "New Person")
        found["signup"] = await open_modal(bot, "U0NEWBIE1", "join")
        found["goals"] = await open_modal(bot, person, "goals")
        channel = bot.fake.group_dms_of(person)[0][0]
        message = checkin_posts(bot.fake, channel)[0]
        await bot.fake.click(person, ids.CHECKIN_FEEDBACK, channel=channel, ts=message["ts"])
        stack = await bot.fake.wait_for(lambda: bot.fake.open_views(person))
        found["feedback"] = stack[-1]
        return found

    views_by_name = hostile_bot.run(real_views())
    owner = {"signup": "U0NEWBIE1", "goals": person, "feedback": person}

    @EXAMPLES
    @given(
        st.sampled_from(sorted(views_by_name)),
        st.one_of(st.none(), metadata),
        st.lists(st.one_of(st.none(), hostile_element), min_size=20, max_size=20),
    )
    def tampered(name, new_metadata, edits):
        view = json.loads(json.dumps(views_by_name[name]))
        inputs = [
            (b["block_id"], b["element"]["action_id"])
            for b in view["blocks"]
            if b.get("type") == "input"
        ]
        values: dict = {}
        for (block_id, action_id), state in zip(inputs, edits, strict=False):
            if state is not None:  # None: the field is left out of the payload entirely
                values.setdefault(block_id, {})[action_id] = state
        if new_metadata is not None:
            view["private_metadata"] = new_metadata
        view["state"] = {"values": values}
        payload = {
            "type": "view_submission",
            "team": {"id": "T0001", "domain": "sandbox"},
            "user": {"id": owner[name], "username": "x", "name": "x", "team_id": "T0001"},
            "api_app_id": "A0SANDBOX",
            "token": "sandbox-verification-token",
            "trigger_id": f"{len(edits)}.{id(values)}.{hash(new_metadata)}",
            "view": view,
            "response_urls": [],
        }
        before = hostile_bot.run(row_counts(bot.ctx.db))
        result = hostile_bot.run(bot.fake.post_raw(encode_payload(payload), FORM))
        assert_clean(result)
        assert result.status == 200
        answer = result.json if result.body.strip() else None
        if isinstance(answer, dict) and answer.get("response_action") == "errors":
            assert hostile_bot.run(row_counts(bot.ctx.db)) == before  # refused: nothing stored
            block_ids = {b["block_id"] for b in view["blocks"] if b.get("type") == "input"}
            assert set(answer["errors"]) <= block_ids  # each error sits on a field shown

    tampered()
    hostile_bot.run(asyncio.sleep(0.5))
    assert not LEAK.search(everything_people_saw(bot.fake))


async def test_a_listener_failing_right_after_its_ack_still_answers_at_once(bot):
    """Bolt used to reset the ack when a listener failed just after acking: 3 s, then a 500."""
    pairs = await make_pairs(bot, 1)
    (_, sharer, _, channel) = pairs[0]
    for user in ("U0SHR0000", {"name": "no id"}, {"id": ["U0SHR0000"]}):
        for action in (ids.CHECKIN_MET, ids.CHECKIN_THUMBS_UP, ids.HOME_PAUSE, ids.FIT_WORKS):
            payload = {
                "type": "block_actions",
                "user": user,
                "team": {"id": "T0001"},
                "api_app_id": "A0SANDBOX",
                "trigger_id": f"{action}.{user!s}",
                "channel": {"id": channel},
                "actions": [{"action_id": action, "block_id": "b", "type": "button", "value": "1"}],
            }
            result = await bot.fake.post_raw(encode_payload(payload), FORM)
            assert result.status == 200, (action, user, result)
    assert sharer


async def test_too_long_and_odd_text_gets_field_errors_a_person_can_fix(bot):
    add_person(bot, "U0PRIYA01", "Priya Patel")
    view = await open_modal(bot, "U0PRIYA01", "join")
    huge = "x" * 100_000

    def hostile(payload):
        values = payload["view"]["state"]["values"]
        values[ids.B_DEPARTMENT][ids.A_DEPARTMENT]["value"] = huge
        values[ids.B_SHARE_OTHER] = {ids.A_SHARE_OTHER: {"type": "plain_text_input", "value": huge}}
        values[ids.B_TIMEZONE][ids.A_TIMEZONE]["selected_option"] = {"value": "Europe" + huge}
        values[ids.B_MEETING_LENGTH][ids.A_MEETING_LENGTH]["selected_option"] = {"value": "²"}
        values[ids.B_EXPERIENCE][ids.A_EXPERIENCE]["selected_option"] = {"value": "\u202e0-2"}
        return payload

    result = await bot.fake.submit_view(
        "U0PRIYA01", view["id"], DEFAULT_ANSWERS, raw_payload_edit=hostile
    )
    assert result.status == 200
    assert "under 80 characters" in result.errors[ids.B_DEPARTMENT]
    assert "under 200 characters" in result.errors[ids.B_SHARE_OTHER]
    for block in (ids.B_TIMEZONE, ids.B_MEETING_LENGTH, ids.B_EXPERIENCE):
        assert "pick one of the options" in result.errors[block]
    assert bot.fake.open_views("U0PRIYA01")  # the modal stays open to fix
    assert await count(bot.ctx.db, Participant) == 0
    assert await count(bot.ctx.db, Goal) == 0

    # Unicode a person can type is kept exactly: RTL, zero-width joiners, emoji.
    name = "قسم التسويق 👩‍💻 a\u200db"
    result = await bot.fake.submit_view(
        "U0PRIYA01", view["id"], {**DEFAULT_ANSWERS, ids.A_DEPARTMENT: name}
    )
    assert not result.errors
    async with bot.ctx.db.session() as session:
        from sqlalchemy import select

        stored = await session.scalar(select(Participant.department))
    assert stored == name

    # Numbers nobody can type in Slack's inputs are explained, not crashed on.
    for weeks in ("²", "1" * 5000, "٣"):
        before = len(bot.fake.ephemerals("U0PRIYA01"))
        await bot.fake.slash_command("U0PRIYA01", text=f"pause {weeks}")
        shown = await bot.fake.wait_for(
            lambda before=before: bot.fake.ephemerals("U0PRIYA01")[before:]
        )
        assert "from 1 to 12" in texts_of(shown)


def test_a_log_line_carrying_a_lone_surrogate_reaches_the_test_report():
    """Hostile ids end up in library log lines (Bolt's "unhandled request" warning names the
    action id it could not route). A lone surrogate in a captured log line used to crash the
    pytest-xdist worker that had to send the report (INTERNALERROR: surrogates not allowed),
    failing a run at random whenever the generated envelopes produced one."""
    logging.getLogger("slack_bolt.App").warning("Unhandled request: action_id '\udfff tail'")
