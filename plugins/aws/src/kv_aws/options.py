"""``AwsOptions``: where and how a kv store reaches an AWS service.

Declared once here for every AWS plugin (kv-dynamodb, kv-s3). Nothing is
required: like the AWS command line, the SDK's usual chain supplies the
region and the credentials (``AWS_REGION``/``AWS_DEFAULT_REGION``,
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``/``AWS_SESSION_TOKEN``,
``AWS_PROFILE``, ``~/.aws/config``, instance and container roles), so a URL
plus the conventional environment is enough. The options name the same
things explicitly, and ``endpoint_url`` points the store at an emulator or a
compatible service.
"""

from __future__ import annotations

from kv.plugin import CommonOptions, checks, option

__all__ = ["AwsOptions"]


class AwsOptions(CommonOptions):
    """Where and how to reach an AWS service; each option falls back on the SDK's chain.

    Attributes:
        region: The region (``us-east-1``); default: ``AWS_REGION``,
            ``AWS_DEFAULT_REGION`` or the profile's.
        endpoint_url: Another endpoint than AWS's (an emulator such as
            DynamoDB Local or moto, or a compatible service).
        profile: A profile of ``~/.aws/config`` and ``~/.aws/credentials``.
        aws_access_key_id: An access key id (default: the SDK's chain).
            Never shown.
        aws_secret_access_key: Its secret key. Never shown.
        aws_session_token: A session token of temporary credentials. Never shown.
        connect_timeout: Seconds to open a connection.
        read_timeout: Seconds to wait for a reply.
        max_attempts: Tries of one request, the first included (botocore's
            ``standard`` retry mode: throttling and passing network errors are
            tried again with backoff).
        max_connections: Most connections open at once per event loop.
    """

    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = None
    aws_session_token: str | None = None
    connect_timeout: float = option(default=10.0, check=checks.seconds)
    read_timeout: float = option(default=30.0, check=checks.seconds)
    max_attempts: int = option(default=3, check=checks.positive_int)
    max_connections: int = option(default=10, check=checks.positive_int)
