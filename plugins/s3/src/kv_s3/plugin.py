"""The declaration of ``s3://``: capabilities, options and store class in one place.

Named by this distribution's ``kv.stores`` entry point (``s3``). It imports
only kv and kv-aws's options: listing plugins or resolving the scheme never
imports aioboto3 or :mod:`kv_s3.store`.
"""

from __future__ import annotations

import re
from typing import Literal

from kv.errors import InvalidURLError
from kv.plugin import Capabilities, StorePlugin, checks, option
from kv.url import StoreURL
from kv_aws.options import AwsOptions

__all__ = ["MAX_PREFIX_BYTES", "PLUGIN", "S3_CAPABILITIES", "S3Options"]

MAX_PREFIX_BYTES = 400
"""Longest ``prefix`` in UTF-8 bytes (an object key holds at most 1,024)."""

# aioboto3 is an asyncio library: asyncio_only. S3 has no per-object expiry
# (lifecycle rules count whole days): not native_ttl, expired entries are hidden
# on read and removed by cull().
S3_CAPABILITIES = Capabilities.every_operation(persistent=True, asyncio_only=True, atomic=True)
"""What :class:`kv_s3.store.S3Store` can do."""

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]")


def _bucket(value: object) -> str:
    """A bucket name S3 accepts: 3-63 lower-case letters, digits, ``.`` and ``-``."""
    if not isinstance(value, str) or _BUCKET.fullmatch(value) is None or ".." in value:
        raise ValueError(
            "must be an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-',"
            f" starting and ending with a letter or digit, not {value!r}"
        )
    return value


def _prefix(value: object) -> str:
    """The key prefix, with exactly one trailing ``/`` (``""``: the whole bucket)."""
    if not isinstance(value, str):
        raise TypeError(f"must be a str, not {type(value).__name__}")
    stripped = value.strip("/")
    if not stripped:
        return ""
    if any(part in ("", ".", "..") for part in stripped.split("/")):
        raise ValueError(f"must be '/'-separated names other than '.' and '..', not {value!r}")
    if len(stripped.encode("utf-8")) > MAX_PREFIX_BYTES:
        raise ValueError(f"must be at most {MAX_PREFIX_BYTES} bytes of UTF-8")
    return stripped + "/"


class S3Options(AwsOptions):
    """Options of ``s3://BUCKET/PREFIX``, from the URL or keywords (``S3Store``, ``kv.connect``).

    The URL's authority is the bucket and its path the prefix
    (``s3://my-bucket/app/cache?region=eu-west-1``); region, endpoint and
    credentials fall back on the AWS SDK's usual chain (``AWS_REGION``,
    ``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ...).

    Attributes:
        bucket: The bucket (the URL's authority).
        prefix: Objects are named ``{prefix}/{collection}/{key}`` (the URL's
            path; default none: the store owns the whole bucket, in
            py-key-value's layout).
        auto_create: Create the bucket on first use if it is missing (also
            after an emulator restart lost it); off: a missing bucket is a
            ``StoreSetupError``.
        addressing_style: botocore's S3 addressing: ``auto``, ``path`` (for
            emulators and most S3-compatible services) or ``virtual``.
        sweep_interval: Seconds between sweeps of expired entries during
            writes; ``none`` (the default here): only ``cull()`` removes them,
            since finding expired objects costs a HEAD per object.
    """

    url_positional = False
    bucket: str = option(check=_bucket)
    prefix: str = option(default="", check=_prefix)
    auto_create: bool = True
    addressing_style: Literal["auto", "path", "virtual"] = "auto"
    sweep_interval: float | None = option(default=None, check=checks.positive_seconds)

    @classmethod
    def from_location(cls, url: StoreURL) -> dict[str, object]:
        """``s3://BUCKET/PREFIX``: the bucket from the authority, the prefix from the path."""
        if url.username is not None or url.password is not None:
            raise InvalidURLError(
                "s3:// URLs hold no credentials: use the AWS environment, a profile,"
                " or the aws_access_key_id and aws_secret_access_key options"
            )
        found: dict[str, object] = {}
        if url.authority:
            found["bucket"] = url.authority
        if url.path.strip("/"):
            found["prefix"] = url.path
        return found


PLUGIN = StorePlugin(
    store="kv_s3.store:S3Store",
    options=S3Options,
    capabilities=S3_CAPABILITIES,
    description="Amazon S3 or an S3-compatible service (aioboto3), an object per entry",
)
"""The declaration the ``kv.stores`` entry point ``s3`` names."""
