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
    assert len(_matches(a, a[::-1], max_edits=10)) == lcs_length(a, a[::-1])  # past Myers


@settings(max_examples=300, deadline=None)
@given(seqs, seqs)
def test_past_max_edits_the_bit_parallel_rows_give_a_longest_common_subsequence(a, b):
    pairs = _matches(a, b, max_edits=0)   # any difference at all: the bit-parallel path
    assert all(a[i] == b[j] for i, j in pairs)
    assert all(p[0] < q[0] and p[1] < q[1] for p, q in zip(pairs, pairs[1:]))
    assert len(pairs) == lcs_length(a, b)


def test_a_deep_vmap_against_its_loop_lines_up_every_layer():
    """1,600 layers: vmap has a transpose and a broadcast per layer that one loop iteration has
    not, 3,200 edits past Myers' bound. Every dot_general/add/tanh lines up (the difflib
    fallback this replaced matched 3 of them)."""
    layer = ["dot_general", "transpose", "broadcast_in_dim", "add", "tanh"]
    a = layer * 1600 + ["reduce_sum"]
    b = ["slice", "squeeze"] + ["dot_general", "add", "tanh"] * 1600 + ["reduce_sum", "stack"]
    pairs = _matches(a, b)
    assert len(pairs) == 3 * 1600 + 1
    assert all(a[i] == b[j] for i, j in pairs)


def one_diagonal_at_a_time(a, b):
    """Myers' greedy forward pass as the paper writes it, one diagonal at a time: the script
    the vectorised `_matches` must give, pair for pair (ties broken the same way)."""
    n, m = len(a), len(b)
    v, trace = [0] * (2 * (n + m) + 2), []
    for d in range(n + m + 1):
        trace.append(v[:])
        for k in range(-d, d + 1, 2):
            x = v[k + 1] if k == -d or (k != d and v[k - 1] < v[k + 1]) else v[k - 1] + 1
            y = x - k
            while x < n and y < m and a[x] == b[y]:
                x, y = x + 1, y + 1
            v[k] = x
            if x >= n and y >= m:
                pairs, x, y = [], n, m
                for dd in range(len(trace) - 1, -1, -1):
                    w, kk = trace[dd], x - y
                    pk = kk + 1 if kk == -dd or (kk != dd and w[kk - 1] < w[kk + 1]) else kk - 1
                    px = w[pk]
                    while x > px and y > px - pk:
                        x, y = x - 1, y - 1
                        pairs.append((x, y))
                    if dd > 0:
                        x, y = px, px - pk
                return pairs[::-1]
    return []


@settings(max_examples=150, deadline=None)
@given(seqs, seqs)
def test_the_vectorised_rounds_give_the_papers_script(a, b):
    assert _matches(a, b) == one_diagonal_at_a_time(a, b)


def test_a_twin_with_a_transpose_per_layer_is_aligned_fast():
    a = ["dot_general", "add", "tanh"] * 1600 + ["reduce_sum"]
    b = ["transpose", "dot_general", "add", "tanh"] * 1600 + ["reduce_sum"]
    pairs = _matches(a, b)  # 1600 edits: seconds one diagonal at a time
    assert pairs == [(i, i + i // 3 + 1) for i in range(len(a) - 1)] + [(len(a) - 1, len(b) - 1)]
