"""The atomic operations of a RESP store: ``SET NX`` and two Lua scripts.

Storage does not change (one string key per entry holding its JSON document,
py-key-value's layout), so an entry written by py-key-value or by a plain
``put`` can be claimed and compared too:

* an entry's version is the SHA-1 (hex) of its stored document, computed by
  the client after a ``GET`` and by ``redis.sha1hex`` in the scripts. Every
  write stores a new ``created_at``, so every write changes the version;
* ``put_if_absent``, ``put_if_version`` and ``delete_if_version`` are one Lua
  script each (:data:`PUT_IF_ABSENT`, :data:`PUT_IF_VERSION`,
  :data:`DELETE_IF_VERSION`): the server reads the document, checks it (live,
  and for the last two, its hash) and writes (``PX`` milliseconds when the
  entry has a TTL) or deletes, with no other command in between. A script
  touches one key, so it runs on a cluster too (one slot). Not a bare
  ``SET NX``: a key the server still holds a few milliseconds after its
  document expired (see :data:`_LIVE`) must count as absent, as kv's reads
  say it is.

**Sent once.** A conditional write is not retried after a broken
connection: had the server applied it before the connection broke, the
retry would find its own write and answer "not written" (and
:func:`kv.atomic.update` would apply its change twice). So these commands
bypass the client's retry policy (:func:`send_once`): a standalone client's
command goes on one connection of its pool, a cluster's names its target node
(the cluster client then follows ``MOVED``/``ASK`` redirects, which are never
executed, and retries nothing else). A connection error raises
:class:`~kv.errors.StoreConnectionError` and the write may or may not have
happened: read the entry again. ``EVALSHA`` that meets ``NOSCRIPT`` (a
restarted server, ``SCRIPT FLUSH``) is followed by ``EVAL`` of the script,
which was not run.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Any

from kv_resp.driver import RespDriver

__all__ = [
    "DELETE_IF_VERSION",
    "PUT_IF_ABSENT",
    "PUT_IF_VERSION",
    "RespScript",
    "document_version",
    "send_once",
]


def document_version(raw: bytes | str) -> str:
    """The version of a stored document: the SHA-1 hex of its bytes (as ``redis.sha1hex``)."""
    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


class RespScript:
    """A Lua script sent by its SHA-1 (``EVALSHA``), or whole when the server lacks it.

    Args:
        source: The script's text.
    """

    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    async def run(
        self, driver: RespDriver, client: Any, cluster: bool, key: Any, *args: Any
    ) -> Any:
        """Run the script on ``key`` with ``args``, sent once (see :func:`send_once`)."""
        try:
            return await send_once(driver, client, cluster, key, "EVALSHA", self.sha, 1, key, *args)
        except driver.errors.no_script:
            # Not run: the server lacks the script. EVAL runs it and caches it.
            return await send_once(driver, client, cluster, key, "EVAL", self.source, 1, key, *args)


_LIVE = """local function live(document, now)
  -- Whether the document's expires_at (ISO 8601, UTC when it names no offset)
  -- is after now (seconds since the epoch): kv's rule, on the client's clock.
  local ok, fields = pcall(cjson.decode, document)
  if not ok or type(fields) ~= 'table' or type(fields['expires_at']) ~= 'string' then
    return true
  end
  local y, mo, d, h, mi, s, rest = string.match(fields['expires_at'],
    '^(%d+)-(%d+)-(%d+)[T ](%d+):(%d+):(%d+%.?%d*)(.*)$')
  if not y then
    return true
  end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then
    y = y - 1
  end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * ((mo + 9) % 12) + 2) / 5) + d - 1
  local days = era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
  local at = days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s)
  local sign, oh, om = string.match(rest, '^([+-])(%d%d):?(%d%d)$')
  if sign == '+' then
    at = at - tonumber(oh) * 3600 - tonumber(om) * 60
  elseif sign == '-' then
    at = at + tonumber(oh) * 3600 + tonumber(om) * 60
  end
  return at > tonumber(now)
end
local function set(key, document, px)
  -- SET, with PX milliseconds unless px is ''.
  if px == '' then
    redis.call('SET', key, document)
  else
    redis.call('SET', key, document, 'PX', px)
  end
end
local function unchanged(key, version, now)
  -- Whether key holds a live document whose SHA-1 is version.
  local current = redis.call('GET', key)
  return current and redis.sha1hex(current) == version and live(current, now)
end
"""
"""Lua: ``live(document, now)``, the base store's expiry rule inside a script,
``set(key, document, px)`` and ``unchanged(key, version, now)``.

The server expires a key ``PX`` milliseconds after the ``SET`` *arrived*,
while the document says it expires ``ttl`` seconds after the client wrote it:
for a few milliseconds (more on a loaded machine) the key is still on the
server though kv already calls it expired. The scripts therefore also treat a
key whose document has expired at the client's ``now`` as absent.
"""


PUT_IF_ABSENT = RespScript(
    _LIVE
    + """local current = redis.call('GET', KEYS[1])
if current and live(current, ARGV[3]) then
  return 0
end
set(KEYS[1], ARGV[1], ARGV[2])
return 1
"""
)
"""``KEYS[1]``: the entry's key; ``ARGV``: document, ``PX`` milliseconds or ``''``, now."""

PUT_IF_VERSION = RespScript(
    _LIVE
    + """if not unchanged(KEYS[1], ARGV[1], ARGV[4]) then
  return 0
end
set(KEYS[1], ARGV[2], ARGV[3])
return 1
"""
)
"""``KEYS[1]``: the entry's key; ``ARGV``: version, new document, ``PX`` milliseconds
or ``''``, now."""

DELETE_IF_VERSION = RespScript(
    _LIVE
    + """if not unchanged(KEYS[1], ARGV[1], ARGV[2]) then
  return 0
end
redis.call('DEL', KEYS[1])
return 1
"""
)
"""``KEYS[1]``: the entry's key; ``ARGV``: the version, now."""


async def send_once(driver: RespDriver, client: Any, cluster: bool, key: Any, *command: Any) -> Any:
    """Send ``command`` (about ``key``) once, outside the client's retry policy.

    On a cluster client, the command names the node serving ``key``'s slot:
    the client then follows redirects but retries nothing. On a standalone
    client, the command goes on one connection taken from the client's pool,
    reconnected first if the server closed it while it was idle; a connection
    that fails or is interrupted mid-command is closed, never reused.
    """
    if cluster:
        await client.initialize()  # a no-op unless a failure reset the slot map
        node = client.get_node_from_key(key)
        return await client.execute_command(*command, target_nodes=node)
    pool = client.connection_pool
    connection = await driver.pool_connection(pool)
    try:
        await _fresh(driver, connection)
        await connection.send_command(*command)
        return await connection.read_response()
    except driver.errors.response:
        raise  # an error reply, read whole: the connection stays usable
    except BaseException:
        # The reply may still be on its way: the connection cannot serve another call.
        with contextlib.suppress(Exception):
            await connection.disconnect()
        raise
    finally:
        await pool.release(connection)


async def _fresh(driver: RespDriver, connection: Any) -> None:
    """Reconnect ``connection`` if the server closed it (or left data on it) since its last use.

    redis-py 8's pool no longer checks this when it hands out a connection (it
    leaves a dead one to its retries), and a command sent once must not go on a
    connection that is already closed: nothing is sent until this is known.
    """
    try:
        stale = await driver.has_data(connection)
    except OSError:
        stale = True
    except driver.errors.connection:
        stale = True
    if stale:
        await connection.disconnect()
        await connection.connect()
