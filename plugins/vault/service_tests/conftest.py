"""A real Vault server, given by the environment (the GitHub workflow's service container).

``KV_VAULT_URL`` names it (``vault://127.0.0.1:8200/secret``) and hvac reads
the token from ``VAULT_TOKEN``; ``KV_VAULT_CONTAINER`` (the container's id)
lets the fault test stop and start it with ``docker``. Without
``KV_VAULT_URL`` every test here is skipped: no Vault server can run on the
project's own machine, so these tests run only in
``.github/workflows/vault.yml``. Tests are isolated by folder (a fresh
``prefix`` each) or by collection names, never by restarting the server.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

VAULT_URL = os.environ.get("KV_VAULT_URL", "")
VAULT_TOKEN = os.environ.get("VAULT_TOKEN", "")
VAULT_CONTAINER = os.environ.get("KV_VAULT_CONTAINER", "")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip the tests of this folder when no server is given."""
    if VAULT_URL:
        return
    skip = pytest.mark.skip(reason="KV_VAULT_URL names no Vault server (runs in the workflow)")
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def vault_url() -> str:
    """The ``vault://`` URL of the server."""
    return VAULT_URL


@pytest.fixture(scope="session")
def vault_token() -> str:
    """The token hvac reads from ``VAULT_TOKEN``."""
    return VAULT_TOKEN


@pytest.fixture(scope="session")
def vault_container() -> str:
    """The id of the server's container, if the fault test may stop it."""
    return VAULT_CONTAINER
