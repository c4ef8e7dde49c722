"""Listing a bucket's keys: an ordered consumer that reads the names, not the values.

The consumer delivers the last message of each subject under a filter
(``$KV.<bucket>.<collection>.>``), headers only, in stream order. Delete
markers and entries whose ``Kv-Expires-At`` header has passed are left out;
the walk ends at the message the server says is the last one pending.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext, api

__all__ = ["EXPIRES_HEADER", "is_marker", "live_messages"]

EXPIRES_HEADER = "Kv-Expires-At"
"""Header holding an entry's exact expiry (epoch seconds), for listings."""

_OPERATION = "KV-Operation"
_MARKER_REASON = "Nats-Marker-Reason"
_REMOVED = ("DEL", "PURGE")


def is_marker(headers: dict[str, str] | None) -> bool:
    """Whether a message is a delete or purge marker (not an entry)."""
    if not headers:
        return False
    return headers.get(_OPERATION) in _REMOVED or _MARKER_REASON in headers


def _listed(message: Msg, now: float) -> bool:
    """Whether a listed (headers-only) message is a live entry."""
    headers = message.headers
    if not headers:
        return True
    if is_marker(headers):
        return False
    expires = headers.get(EXPIRES_HEADER)
    try:
        return expires is None or float(expires) > now
    except ValueError:  # another client's header: the entry's read tells
        return True


async def live_messages(
    js: JetStreamContext, stream: str, subjects: str, page_size: int, timeout: float
) -> AsyncGenerator[list[Msg], None]:
    """The live entries under ``subjects``, headers only, in pages of up to
    ``page_size`` messages.

    Raises:
        nats.errors.TimeoutError: no page came within ``timeout`` seconds.
    """
    pages: asyncio.Queue[list[Msg] | None] = asyncio.Queue()
    page: list[Msg] = []
    now = time.time()

    async def deliver(message: Msg) -> None:
        nonlocal page
        if _listed(message, now):
            page.append(message)
        last = message.metadata.num_pending == 0
        if page and (last or len(page) >= page_size):
            pages.put_nowait(page)
            page = []
        if last:
            pages.put_nowait(None)

    subscription = await js.subscribe(
        subjects,
        stream=stream,
        cb=deliver,
        ordered_consumer=True,
        deliver_policy=api.DeliverPolicy.LAST_PER_SUBJECT,
        headers_only=True,
        inactive_threshold=timeout,
    )
    try:
        info = await subscription.consumer_info()
        delivered = info.delivered.consumer_seq if info.delivered is not None else 0
        if not info.num_pending and not delivered:
            return  # nothing under the filter
        while True:
            try:
                got = await asyncio.wait_for(pages.get(), timeout)
            except asyncio.TimeoutError:
                raise nats.errors.TimeoutError from None
            if got is None:
                return
            yield got
    finally:
        await subscription.unsubscribe()
