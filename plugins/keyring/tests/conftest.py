"""Fixtures of the kv-keyring tests: a real file keyring in a temporary folder.

Every test gets keyrings.alt's ``PlaintextKeyring`` (the real backend, a
plain INI file) in its own temporary folder, and ``XDG_DATA_HOME`` pointing
there too, so nothing ever touches the user's real keyring or data folder.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyrings.alt.file import PlaintextKeyring


@pytest.fixture(autouse=True)
def _private_data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep keyring's data folder (default lock files, default file backends) in tmp."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


@pytest.fixture
def keyring_file(tmp_path: Path) -> Path:
    """The file the test's keyring lives in."""
    return tmp_path / "keyring" / "keyring_pass.cfg"


def make_backend(path: Path) -> PlaintextKeyring:
    """A plaintext file keyring in ``path``."""
    backend = PlaintextKeyring()
    backend.file_path = str(path)
    return backend


@pytest.fixture
def backend(keyring_file: Path) -> PlaintextKeyring:
    """The test's keyring backend."""
    return make_backend(keyring_file)


@pytest.fixture
def global_keyring(backend: PlaintextKeyring) -> Iterator[PlaintextKeyring]:
    """Make the test's backend keyring's process-wide one (what py-key-value uses)."""
    previous = keyring.core._keyring_backend
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.core._keyring_backend = previous
