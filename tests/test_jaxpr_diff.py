"""The alignment's longest common subsequence (Myers' diff) against a plain dynamic programme."""

from hypothesis import given, settings
from hypothesis import strategies as st

from vmapx._jaxpr.diff import _matches

seqs = st.lists(st.sampled_from(["dot_general", "add", "tanh", "transpose"]), max_size=14)


def lcs_length(a, b):
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0] * (len(b) + 1)
        for j, y in enumerate(b):
            cur[j + 1] = prev[j] + 1 if x == y else max(prev[j + 1], cur[j])
        prev = cur
    return prev[-1]


@settings(max_examples=200, deadline=None)
@given(seqs, seqs)
def test_matches_are_a_longest_common_subsequence(a, b):
    pairs = _matches(a, b)
    assert all(a[i] == b[j] for i, j in pairs)
    assert all(p[0] < q[0] and p[1] < q[1] for p, q in zip(pairs, pairs[1:]))
    assert len(pairs) == lcs_length(a, b)


def test_long_sequences_a_few_edits_apart_are_fast_and_exact():
    a = ["dot_general", "add", "tanh"] * 300 + ["reduce_sum"]
    b = ["slice", "squeeze"] + a + ["stack"]
    assert _matches(a, b) == [(i, i + 2) for i in range(len(a))]
    assert len(_matches(a, a[::-1], max_edits=10)) > 0  # the difflib fallback
