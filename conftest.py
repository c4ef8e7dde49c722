"""Settings of the project's own test run (not part of any distribution)."""

from __future__ import annotations

import gc

import pytest


def pytest_collection_finish(session: pytest.Session) -> None:
    """Freeze what collection made (tens of thousands of test items) out of the
    garbage collector's reach: every later collection, automatic or a test's
    own ``gc.collect()``, then walks only what the tests made."""
    gc.collect()
    gc.freeze()
