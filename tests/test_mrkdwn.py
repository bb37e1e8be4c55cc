"""The one mrkdwn escaping function: whatever a person types, Slack shows it as text."""

import re

from hypothesis import given
from hypothesis import strategies as st

from bot.texts import text
from bot.texts.mrkdwn import Mrkdwn, escape, mention, unescape
from bot.views import blocks as b

CONTROL = re.compile(r"<[!@#]|<https?:|\|[^>]*>")
SEQUENCES = st.sampled_from(
    ["<!channel>", "<!here>", "<!everyone>", "<@U0ABC>", "<#C0ABC>", "<https://x|y>", "&", "&lt;"]
)
TYPED = st.lists(st.one_of(st.text(), SEQUENCES), max_size=8).map("".join)


@given(TYPED)
def test_escaped_text_has_no_control_characters_and_reads_the_same(typed: str) -> None:
    shown = escape(typed)
    assert "<" not in shown and ">" not in shown
    assert re.fullmatch(r"([^&]|&(amp|lt|gt);)*", shown, re.DOTALL)
    assert unescape(shown) == typed


@given(TYPED, st.integers(min_value=2, max_value=50))
def test_a_capped_value_never_cuts_an_entity(typed: str, limit: int) -> None:
    shown = unescape(escape(typed, limit))
    assert len(shown) <= limit
    assert shown == typed or shown.endswith("…")


@given(TYPED)
def test_every_sentence_escapes_what_it_is_given(typed: str) -> None:
    """text() escapes plain strings and keeps the bot's own mrkdwn (mentions) working."""
    said = text("signup.program", program=typed)
    assert said == "*Program:* " + escape(typed)
    assert not CONTROL.search(said.removeprefix("*Program:* "))
    linked = text("signup.what_next_paired", partner=mention("U0PARTNER"))
    assert "<@U0PARTNER>" in linked


@given(TYPED)
def test_plain_text_fields_show_what_was_typed(typed: str) -> None:
    """Headers, labels and buttons do not parse mrkdwn: they show the typed characters."""
    assert b.plain(escape(typed))["text"] == (typed[:3000] or " ")
    assert b.header(text("report.title", program=typed))["text"]["text"] == (
        f"Mentoring report: {typed}"[:150] or " "
    )


def test_values_already_mrkdwn_are_not_escaped_twice() -> None:
    assert text("signup.program", program=escape("R&D")) == "*Program:* R&amp;D"
    assert isinstance(text("signup.program", program="x"), Mrkdwn)
