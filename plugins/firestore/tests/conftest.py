"""Google's Firestore emulator for the kv-firestore tests, started once per session.

The emulator (the jar of gcloud's ``firestore-emulator`` component, run with
java directly) listens on a free loopback port; ``FIRESTORE_EMULATOR_HOST``
points every client of the session at it, as gcloud's own tooling does.
Tests keep apart by fresh root collections (or databases), never by
restarting it. With pytest-xdist each worker runs its own emulator.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

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
