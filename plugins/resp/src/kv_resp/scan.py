"""How many keys each ``SCAN`` of a walk asks the server to examine (its ``COUNT``).

``SCAN``'s ``COUNT`` is a hint of how many keys of the *whole keyspace* one
call looks at; ``MATCH`` and ``TYPE`` filter them afterwards. So a call may
return fewer keys than ``COUNT``, or none, while the cursor is not finished,
and how many of the examined keys a walk can use depends on what else the
database holds.

:class:`ScanSize` sizes a walk that wants about ``want`` useful keys per call
(the page size; for ``keys(limit=N)``, ``N``):

* the first call asks for ``want`` plus an eighth and two more, so when the
  collection is most of the keyspace one call answers a small limit, and a
  few expired or foreign keys do not force a second round trip (the server
  examines whole hash buckets, so a call returns at least ``COUNT`` keys
  before filtering unless the cursor ends; each key in the reply costs the
  client a few microseconds to parse, so the headroom stays small);
* every later call is sized from what the walk has seen so far: the share of
  examined keys that were useful predicts how many keys to examine for
  ``want`` more; a walk that has found nothing yet looks four times further
  each call. ``COUNT`` stays within ``[first, MAX_COUNT]``, so one call never
  holds the server for long.

The walk stays complete and correct whatever the sizes: it always follows
the cursor until ``want`` is met by its consumer or the cursor ends.
"""

from __future__ import annotations

import math

__all__ = ["MAX_COUNT", "ScanSize"]

MAX_COUNT = 10_000
"""Largest ``COUNT`` of one ``SCAN`` (what py-key-value uses for every page)."""


class ScanSize:
    """The ``COUNT`` of a walk's next ``SCAN``, adapted to what earlier calls found.

    Args:
        want: Useful keys the walk wants from each call (>= 1).
    """

    __slots__ = ("asked", "count", "first", "found", "want")

    def __init__(self, want: int) -> None:
        want = max(1, want)
        self.want = want
        self.first = min(want + want // 8 + 2, MAX_COUNT)
        self.count = self.first
        """``COUNT`` of the next call."""
        self.asked = 0
        self.found = 0

    def record(self, found: int) -> None:
        """Note that the call just made (with :attr:`count`) gave ``found`` useful keys."""
        self.asked += self.count
        self.found += found
        if self.found:
            estimate = math.ceil(self.want * self.asked / self.found * 1.25) + 8
        else:
            estimate = self.asked * 4
        self.count = max(self.first, min(estimate, MAX_COUNT))

    def __repr__(self) -> str:
        return f"ScanSize(want={self.want}, count={self.count})"
