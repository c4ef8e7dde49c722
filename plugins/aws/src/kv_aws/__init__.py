"""kv-aws: what kv's AWS plugins (kv-dynamodb, kv-s3) share.

Not a plugin (it declares no URL scheme): :class:`AwsOptions` (region,
endpoint, credentials and timeouts, each falling back on the SDK's usual
chain), :class:`AwsClients` (one aioboto3 client per event loop) and
:func:`translate_error` (botocore's exceptions as kv errors).

Importing the package, or :mod:`kv_aws.options` from a plugin's declaration,
does not import aioboto3: the clients and errors modules are imported on
first use.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_aws.options import AwsOptions

if TYPE_CHECKING:
    from kv_aws.clients import AwsClients
    from kv_aws.errors import error_code, translate_error

__all__ = ["AwsClients", "AwsOptions", "error_code", "translate_error"]

__getattr__ = lazy_exports(
    __name__,
    {
        "AwsClients": "kv_aws.clients",
        "error_code": "kv_aws.errors",
        "translate_error": "kv_aws.errors",
    },
)
