"""``AwsClients``: one aioboto3 client of a service per event loop.

An aiobotocore client holds an aiohttp session, which belongs to the event
loop that made it; one store object used from several loops in turn gets one
client per loop (:class:`kv.loops.PerLoop`), each closed with its loop or by
:meth:`AwsClients.close`.
"""

from __future__ import annotations

import os
import threading
from typing import Any

import aioboto3
from aiobotocore.config import AioConfig

from kv.loops import PerLoop
from kv_aws.options import AwsOptions

__all__ = ["AwsClients", "shared_session"]

_sessions: dict[tuple[str | None, ...], aioboto3.Session] = {}
_sessions_guard = threading.Lock()


def shared_session(options: AwsOptions) -> aioboto3.Session:
    """The process's aioboto3 session for these credentials, region and profile.

    A new session loads botocore's service models again for its first client
    (80-475 ms measured here); stores with the same settings share one. The
    region falls back on ``AWS_REGION`` (which botocore 1.40 does not read)
    after the option; the rest of the SDK's chain (``AWS_DEFAULT_REGION``,
    profiles, roles) applies as usual.
    """
    region = options.region or os.environ.get("AWS_REGION") or None
    key = (
        options.aws_access_key_id,
        options.aws_secret_access_key,
        options.aws_session_token,
        region,
        options.profile,
    )
    with _sessions_guard:
        session = _sessions.get(key)
        if session is None:
            session = _sessions[key] = aioboto3.Session(
                aws_access_key_id=options.aws_access_key_id,
                aws_secret_access_key=options.aws_secret_access_key,
                aws_session_token=options.aws_session_token,
                region_name=region,
                profile_name=options.profile,
            )
        return session


class AwsClients:
    """Clients of one AWS service, made from :class:`AwsOptions` on first use in each loop.

    Args:
        service: The botocore service name (``"dynamodb"``, ``"s3"``).
        options: Region, endpoint, credentials and timeouts.
        config: More botocore settings for this service (``s3={"addressing_style":
            "path"}``, say), merged into the client's ``Config``.
    """

    def __init__(self, service: str, options: AwsOptions, **config: Any) -> None:
        self.service = service
        self._session = shared_session(options)
        self._endpoint_url = options.endpoint_url
        self._config = AioConfig(
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            retries={"max_attempts": options.max_attempts, "mode": "standard"},
            max_pool_connections=options.max_connections,
            **config,
        )
        self._clients: PerLoop[tuple[Any, Any]] = PerLoop(
            self._open, close=_close, close_with_loop=True
        )

    def __repr__(self) -> str:  # never the credentials
        return f"<AwsClients {self.service} endpoint={self._endpoint_url!r}>"

    async def get(self) -> Any:
        """The running loop's client (made on first use)."""
        found = self._clients.current
        if found is None:
            found = await self._clients.get()
        return found[1]

    async def close(self) -> None:
        """Close every loop's client that can still be closed."""
        await self._clients.close()

    def invalidate(self) -> None:
        """Drop every client: the next call makes a new one (after a broken connection)."""
        self._clients.invalidate()

    async def _open(self) -> tuple[Any, Any]:
        context = self._session.client(
            self.service, endpoint_url=self._endpoint_url, config=self._config
        )
        client = await context.__aenter__()
        return context, client


async def _close(pair: tuple[Any, Any]) -> None:
    await pair[0].__aexit__(None, None, None)
