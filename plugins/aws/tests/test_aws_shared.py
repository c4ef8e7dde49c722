"""kv-aws against moto's server: options, one client per event loop, and errors."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from kv.errors import StoreConnectionError, StoreSetupError
from kv_aws import AwsClients, AwsOptions, error_code, translate_error
from kv_conformance.emulators import moto_server
from kv_conformance.servers import ServerProcess


@pytest.fixture(scope="module")
def moto() -> Iterator[ServerProcess]:
    with moto_server() as server:
        yield server


def _options(endpoint: str, **more: object) -> AwsOptions:
    return AwsOptions(
        region="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="not-shown-secret",
        **more,  # type: ignore[arg-type]
    )


def test_credentials_are_never_shown() -> None:
    options = _options("http://127.0.0.1:1", aws_session_token="not-shown-token")
    clients = AwsClients("s3", options)
    for text in (repr(options), str(options), repr(clients)):
        assert "not-shown" not in text
        assert "AKIDEXAMPLE" not in text


def test_one_client_per_event_loop(moto: ServerProcess) -> None:
    clients = AwsClients("s3", _options(f"http://127.0.0.1:{moto.port}"))

    async def use() -> object:
        client = await clients.get()
        assert client is await clients.get()
        await client.list_buckets()
        return client

    first = asyncio.run(use())
    second = asyncio.run(use())  # the first loop is gone: a new client, which works
    assert first is not second
    asyncio.run(clients.close())


def test_service_errors_become_kv_errors(moto: ServerProcess) -> None:
    async def run() -> None:
        clients = AwsClients("s3", _options(f"http://127.0.0.1:{moto.port}"))
        client = await clients.get()
        with pytest.raises(Exception) as caught:
            await client.get_object(Bucket="kv-no-such-bucket", Key="k")
        assert error_code(caught.value) == "NoSuchBucket"
        translated = translate_error(caught.value, where="the bucket 'kv-no-such-bucket'")
        assert isinstance(translated, StoreSetupError)
        assert "kv-no-such-bucket" in str(translated)
        await clients.close()

    asyncio.run(run())


def test_an_unreachable_endpoint_is_a_connection_error() -> None:
    async def run() -> None:
        options = _options("http://127.0.0.1:9", max_attempts=1, connect_timeout=2.0)
        clients = AwsClients("dynamodb", options)
        client = await clients.get()
        with pytest.raises(Exception) as caught:
            await client.list_tables()
        translated = translate_error(caught.value, where="DynamoDB at 127.0.0.1:9")
        assert isinstance(translated, StoreConnectionError)
        assert "not-shown" not in str(translated)
        await clients.close()

    asyncio.run(run())


def test_other_exceptions_are_not_translated() -> None:
    assert translate_error(ValueError("x"), where="anywhere") is None
    assert error_code(ValueError("x")) is None


def test_the_package_imports_no_client_library() -> None:
    import subprocess
    import sys

    code = "import sys, kv_aws, kv_aws.options; print('aioboto3' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
