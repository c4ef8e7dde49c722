"""What ``import kv``, a first call and the ``kv`` command import, in fresh processes.

``import kv`` pulls in no client library of any backend, no click (the command
line's) and no checking library; neither does a type-checked call on
``memory://`` (kv's runtime type checks are its own, see kv._hints), nor the
``kv`` command on ``memory://``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

CLIENT_LIBRARIES = {
    # clients of today's and announced backends, and their usual companions
    "redis",
    "valkey",
    "glide",
    "aiomcache",
    "emcache",
    "asyncpg",
    "psycopg",
    "psycopg2",
    "duckdb",
    "chdb",
    "rocksdict",
    "keyring",
    "sqlite3",
    "winreg",
    "diskcache",
    "boto3",
    "botocore",
    "aiobotocore",
    "google",
    "azure",
    "pymongo",
    "motor",
    "elasticsearch",
    "opensearchpy",
    "hvac",
    "etcd3",
    "aiohttp",
    "httpx",
}
NEVER = CLIENT_LIBRARIES | {"click", "beartype", "pydantic", "tenacity", "cryptography", "pytest"}


def _imported(code: str) -> set[str]:
    """Top-level names of the modules that ``code`` leaves in ``sys.modules``."""
    program = textwrap.dedent(code) + textwrap.dedent(
        """
        import json as _json, sys as _sys
        print(_json.dumps(sorted({name.partition(".")[0] for name in _sys.modules})))
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "KV_TYPECHECK"}  # checks on
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, env=env, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


def _plugins(modules: set[str]) -> set[str]:
    return {name for name in modules if name.startswith("kv_")}


def test_import_kv_pulls_in_no_client_library_no_click_no_beartype() -> None:
    modules = _imported("import kv")
    assert not NEVER & modules
    assert not _plugins(modules)


def test_a_checked_call_on_memory_pulls_in_none_either() -> None:
    modules = _imported(
        """
        import anyio, kv

        async def main():
            store = kv.connect("memory://")
            await store.put("k", {"a": 1}, ttl=60)
            assert await store.get_many(["k"]) == [{"a": 1}]
            try:
                await store.get(7)
            except kv.ArgumentTypeError:
                pass

        anyio.run(main)
        """
    )
    assert not NEVER & modules
    assert not _plugins(modules)


@pytest.mark.parametrize("command", [["get", "memory://", "k"], ["put", "memory://", "k", "{}"]])
def test_the_kv_command_on_memory_pulls_in_no_client_library(command: list[str]) -> None:
    modules = _imported(
        f"""
        import sys
        from kv.cli import main
        sys.argv = ["kv", *{command!r}]
        try:
            main()
        except SystemExit:
            pass
        """
    )
    assert "click" in modules  # the command line's own
    assert not (NEVER - {"click"}) & modules
    assert not _plugins(modules)
