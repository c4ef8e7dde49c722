"""Batched direct gets: the last message of many subjects in one JetStream request.

nats-server 2.11 answers a direct get with ``multi_last`` (a list of
subjects, ADR-31) with the last message of each subject that has one, one
reply per message on the request's reply subject, then an end-of-batch
status (``204 EOB``). nats-py has no call for it, so :func:`last_messages`
sends it with nats-py's core API (an inbox subscription and a publish).
"""

from __future__ import annotations

import asyncio
import json

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api

__all__ = ["BATCH", "last_messages"]

BATCH = 100
"""Subjects one request asks for (each reply may be up to ``max_payload`` bytes)."""

_END = "204"  # end of batch
_NONE = "404"  # none of the subjects has a message


async def last_messages(
    client: Client, stream: str, subjects: list[str], timeout: float
) -> dict[str, api.RawStreamMsg] | None:
    """The last message of each of ``subjects`` (at most :data:`BATCH`) that has one,
    by subject; ``None`` if the server did not answer the whole batch (an error
    status, or fewer messages than it had), and the caller asks one by one.

    Raises:
        nats.errors.TimeoutError: the batch did not end within ``timeout`` seconds.
    """
    found: dict[str, api.RawStreamMsg] = {}
    ended: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    async def receive(reply: Msg) -> None:
        headers = reply.headers or {}
        status = headers.get("Status")
        if status is None:
            subject = headers.get("Nats-Subject", "")
            sequence = int(headers.get("Nats-Sequence", "0"))
            found[subject] = api.RawStreamMsg(
                subject=subject, seq=sequence, data=reply.data, headers=headers
            )
        elif not ended.done():
            pending = headers.get("Nats-Num-Pending", "0")
            ended.set_result(status == _NONE or (status == _END and pending == "0"))

    room = len(subjects) * (client.max_payload + 4096) + 1_048_576
    inbox = client.new_inbox()
    subscription = await client.subscribe(inbox, cb=receive, pending_bytes_limit=room)
    try:
        request = json.dumps({"multi_last": subjects}).encode()
        await client.publish(f"$JS.API.DIRECT.GET.{stream}", request, reply=inbox)
        try:
            complete = await asyncio.wait_for(ended, timeout)
        except asyncio.TimeoutError:
            raise nats.errors.TimeoutError from None
    finally:
        await subscription.unsubscribe()
    return found if complete else None
