"""Google's Firestore emulator for the kv-firestore tests, started once per session.

The emulator (the jar of gcloud's ``firestore-emulator`` component, run with
java directly) listens on a free loopback port; ``FIRESTORE_EMULATOR_HOST``
points every client of the session at it, as gcloud's own tooling does.
Tests keep apart by fresh root collections (or databases), never by
restarting it. With pytest-xdist each worker runs its own emulator.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from kv_conformance.emulators import firestore
from kv_conformance.servers import ServerProcess

PROJECT = "demo-test"


@pytest.fixture(scope="session")
def firestore_emulator() -> Iterator[ServerProcess]:
    """The emulator, with ``FIRESTORE_EMULATOR_HOST`` naming it for the session."""
    with firestore(project=PROJECT) as server:
        before = os.environ.get("FIRESTORE_EMULATOR_HOST")
        os.environ["FIRESTORE_EMULATOR_HOST"] = f"{server.host}:{server.port}"
        try:
            yield server
        finally:
            if before is None:
                os.environ.pop("FIRESTORE_EMULATOR_HOST", None)
            else:
                os.environ["FIRESTORE_EMULATOR_HOST"] = before


@pytest.fixture
def root() -> str:
    """A root collection no other test uses."""
    return f"kv-{uuid.uuid4().hex[:12]}"


def _is_grpc_event_of_a_closed_loop(context: dict[str, Any]) -> bool:
    """Whether a loop's exception is grpc.aio delivering an event to a closed loop."""
    error = context.get("exception")
    return (
        isinstance(error, RuntimeError)
        and str(error) == "Event loop is closed"
        and "PollerCompletionQueue._handle_events" in repr(context.get("handle"))
    )


@pytest.fixture
async def grpc_events_of_closed_loops() -> AsyncIterator[None]:
    """Keep grpc.aio's events for loops of earlier tests out of this test's result.

    grpc.aio has one completion queue per process, read by whichever loop runs;
    an event of a call made in a loop that has closed since (an earlier test's)
    is handed to that closed loop with ``call_soon_threadsafe``, which raises in
    the running loop's callback (grpc/grpc#25364 and related). asyncio only logs
    it, but anyio's test runner fails the running test with it. Only that
    error is dropped; every other exception reaches the runner's handler.
    """
    loop = asyncio.get_running_loop()
    previous = loop.get_exception_handler()

    def handler(running: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        if _is_grpc_event_of_a_closed_loop(context):
            return
        if previous is not None:
            previous(running, context)
        else:
            running.default_exception_handler(context)

    loop.set_exception_handler(handler)
    yield
    loop.set_exception_handler(previous)
