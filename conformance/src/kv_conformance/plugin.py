"""The pytest plugin of kv-conformance (registered through ``pytest11``).

It adds ``--kv-url URL``: with it, pytest runs the whole suite against the
store that URL names, instead of the test paths. The suite deletes what it
writes (and calls ``destroy()`` before each test where the store offers it),
so point it at a scratch database.

The damaged-data and persistence tests run when the URL's plugin registers
conformance hooks in the ``kv.conformance`` entry-point group (see
:mod:`kv_conformance.hooks`), and are skipped, saying so, otherwise.
"""

from __future__ import annotations

from pathlib import Path

import pytest

__all__ = ["URL_SUITE"]

URL_SUITE = Path(__file__).with_name("url_suite.py")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kv", "kv conformance suite")
    group.addoption(
        "--kv-url",
        action="store",
        default=None,
        metavar="URL",
        help="run the kv conformance suite against the store at URL",
    )
    group.addoption(
        "--kv-backend",
        action="append",
        default=None,
        choices=("asyncio", "trio"),
        help="async runtime(s) for --kv-url (default: asyncio; repeat for both)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "kv_server: the test needs a backend server")
    config.addinivalue_line(
        "markers", "kv_reads_only: a suite test that also runs on a read_only store"
    )
    if config.getoption("--kv-url", default=None):
        config.args[:] = [str(URL_SUITE)]
