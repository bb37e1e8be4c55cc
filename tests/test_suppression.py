"""Small-group suppression of weekly averages: plain rules, checked for any counts."""

from hypothesis import given
from hypothesis import strategies as st

from bot.reports.metrics import suppressed_weeks

counts_by_week = st.dictionaries(
    st.integers(min_value=1, max_value=20), st.integers(min_value=0, max_value=12), max_size=12
)


@given(
    counts_by_week, st.integers(min_value=3, max_value=8), st.integers(min_value=1, max_value=20)
)
def test_shown_weeks_are_big_enough_and_never_give_the_hidden_ones_away(counts, k, window):
    """Every shown week has k ratings; when the overall average is shown, what HR cannot see
    (hidden, or outside the window) adds up to none or at least k ratings, so the overall minus
    the shown weeks reveals no small group."""
    latest = max(counts, default=0)
    in_window = {w for w in counts if w > latest - window}
    hidden = suppressed_weeks(counts, in_window, k)
    shown = set(counts) - hidden
    assert all(counts[w] >= k for w in shown)
    assert shown <= in_window
    # The overall average is shown only when some week had k ratings (see _weekly).
    if max(counts.values(), default=0) >= k:
        unseen = sum(counts[w] for w in hidden)
        assert unseen == 0 or unseen >= k


def test_a_lone_small_week_takes_the_smallest_shown_week_with_it():
    counts = {1: 2, 2: 9, 3: 6}
    assert suppressed_weeks(counts, set(counts), 5) == {1, 3}
    assert suppressed_weeks({1: 6, 2: 9}, {1, 2}, 5) == set()
