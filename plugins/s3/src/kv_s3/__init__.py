"""kv-s3: a kv store in an Amazon S3 bucket (or an S3-compatible service).

Once the distribution is installed,
``kv.connect("s3://my-bucket/app?region=eu-west-1")`` opens it; or build it directly
with ``S3Store(bucket="my-bucket", prefix="app")``. The store (and aioboto3) is imported
on first access to :class:`S3Store`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_s3.plugin import S3_CAPABILITIES, S3Options

if TYPE_CHECKING:
    from kv_s3.store import S3Store

__all__ = ["S3_CAPABILITIES", "S3Options", "S3Store"]

__getattr__ = lazy_exports(__name__, {"S3Store": "kv_s3.store"})
