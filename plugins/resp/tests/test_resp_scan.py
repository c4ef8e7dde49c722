"""The COUNT of each SCAN of a walk (:class:`kv_resp.scan.ScanSize`)."""

from __future__ import annotations

from kv_resp.scan import MAX_COUNT, ScanSize


def test_the_first_count_is_the_wanted_keys_with_headroom() -> None:
    assert ScanSize(1).count == 3
    assert ScanSize(10).count == 13
    assert ScanSize(1000).count == 1127
    assert ScanSize(0).count == 3  # at least one key
    assert ScanSize(10**9).count == MAX_COUNT


def test_a_walk_finding_nothing_looks_four_times_further_up_to_the_cap() -> None:
    size = ScanSize(10)
    counts = []
    for _ in range(8):
        size.record(0)
        counts.append(size.count)
    assert counts[:5] == [52, 260, 1300, 6500, 10_000]
    assert counts[-1] == MAX_COUNT


def test_later_counts_follow_the_share_of_useful_keys() -> None:
    size = ScanSize(100)  # COUNT 114
    size.record(114)  # every key was useful: stay near the first count
    assert size.first <= size.count <= 140  # a quarter more, and a few
    sparse = ScanSize(100)
    sparse.record(13)  # one key in ten: ask for about ten times as many
    assert 1000 <= sparse.count <= 1200
