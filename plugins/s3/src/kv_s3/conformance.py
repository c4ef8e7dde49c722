"""How kv-conformance damages an entry of an ``s3://`` store.

Named by the plugin's declaration (see :mod:`kv_conformance.hooks`); only the
suite imports it. The object is overwritten with the store's own aioboto3
client (the backend's client, not the store's API).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from kv.protocols import AsyncKeyValue
from kv_aws import error_code
from kv_conformance.hooks import store_of_type
from kv_s3.store import S3Store

__all__ = ["HOOKS", "S3ConformanceHooks"]


class S3ConformanceHooks:
    """The kv-conformance hooks of :class:`~kv_s3.store.S3Store`."""

    async def corrupt_entry(self, store: AsyncKeyValue, collection: str, key: str) -> bool:
        """Replace the entry's object with a body that is not JSON (if it exists)."""
        store = store_of_type(store, S3Store)
        await store.setup()
        client = await store._clients.get()
        name = store._name(collection, key)
        try:
            await client.head_object(Bucket=store.bucket, Key=name)
        except ClientError as error:
            if error_code(error) in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        await client.put_object(
            Bucket=store.bucket, Key=name, Body=b'{"not": "closed', ContentType="application/json"
        )
        return True


HOOKS = S3ConformanceHooks()
"""The object the plugin's declaration names."""
