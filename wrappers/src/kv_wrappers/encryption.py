"""``FernetEncryptionWrapper``: authenticated encryption of every value.

Each value is stored as py-key-value's envelope, so either library decrypts
what the other wrote with the same key::

    {"__encrypted_data__": "<base64 of the Fernet token of the value's JSON>",
     "__encryption_version__": 1}

Fernet is AES-128-CBC with an HMAC-SHA256 over the whole token, so a wrong
key and tampered data are both detected: reading such a value raises
:class:`kv.errors.DecryptionError` (never garbage, never the raw envelope).
Needs ``cryptography``: install ``kv-wrappers[encryption]``.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import kv
from kv.capabilities import Capabilities
from kv.errors import (
    CorruptedDataError,
    DecryptionError,
    EncryptionError,
    EncryptionVersionError,
    InvalidOptionError,
    KeyValueError,
)
from kv.values import dump_value, load_value
from kv_wrappers.transform import ValueTransformWrapper

try:
    from cryptography.fernet import Fernet, InvalidToken, MultiFernet
except ImportError as missing:  # pragma: no cover - depends on the environment
    raise ImportError(
        "FernetEncryptionWrapper needs the 'cryptography' package:"
        " pip install 'kv-wrappers[encryption]'"
    ) from missing

__all__ = [
    "ENCRYPTED_DATA_KEY",
    "ENCRYPTION_VERSION",
    "ENCRYPTION_VERSION_KEY",
    "KDF_ITERATIONS",
    "FernetEncryptionWrapper",
    "derive_fernet_key",
]

ENCRYPTED_DATA_KEY = "__encrypted_data__"
ENCRYPTION_VERSION_KEY = "__encryption_version__"
ENCRYPTION_VERSION = 1
"""The envelope version this wrapper writes and the newest it reads."""
KDF_ITERATIONS = 1_200_000
"""PBKDF2-HMAC-SHA256 iterations for ``source_material`` + ``salt`` (py-key-value's)."""

_ENVELOPE_OVERHEAD = len(dump_value({ENCRYPTED_DATA_KEY: "", ENCRYPTION_VERSION_KEY: 1}))


def derive_fernet_key(source_material: str, salt: str) -> bytes:
    """The Fernet key py-key-value derives from ``source_material`` and ``salt``.

    PBKDF2-HMAC-SHA256, 32 bytes, :data:`KDF_ITERATIONS` iterations, URL-safe
    base64. It takes about a second, on purpose.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC

    derived = PBKDF2HMAC(
        algorithm=hashes.SHA256(), length=32, salt=salt.encode("utf-8"), iterations=KDF_ITERATIONS
    ).derive(source_material.encode("utf-8"))
    return base64.urlsafe_b64encode(derived)


def _stored_size(plain_size: int) -> int:
    """JSON size of the envelope of a value whose JSON has ``plain_size`` bytes."""
    cipher = 16 * (plain_size // 16 + 1)  # AES-CBC with PKCS7 padding
    token = 4 * math.ceil((1 + 8 + 16 + cipher + 32) / 3)  # version, time, IV, HMAC
    return _ENVELOPE_OVERHEAD + 4 * math.ceil(token / 3)


def _largest_plain_size(limit: int) -> int:
    """The largest value JSON whose envelope fits in ``limit`` bytes (0 if none)."""
    low, high = 0, limit
    if _stored_size(0) > limit:
        return 0
    while low < high:
        middle = (low + high + 1) // 2
        if _stored_size(middle) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


class FernetEncryptionWrapper(ValueTransformWrapper):
    """Encrypt every value with Fernet before it reaches the wrapped store.

    Give either ``fernet`` or both ``source_material`` and ``salt``.

    Args:
        key_value: The store to wrap.
        fernet: A ``Fernet``, or a ``MultiFernet`` for key rotation: it
            encrypts with its first key and decrypts with any of them.
        source_material: A secret from which the key is derived (PBKDF2, as in
            py-key-value, so the same secret and salt read py-key-value's data).
        salt: The salt of the derivation.
        raise_on_decryption_error: ``True`` (default): a value that cannot be
            decrypted raises :class:`kv.errors.DecryptionError`. ``False``: it
            reads as missing (``None``), as py-key-value allows.
        require_encryption: ``False`` (default): a stored value that is not an
            envelope (written before encryption was added) is returned as it
            is. ``True``: such a value raises ``DecryptionError``.

    Raises:
        InvalidOptionError: neither or both key sources given, or a blank one.

    Errors when reading: a wrong key or tampered data raises
    ``DecryptionError``; a malformed envelope ``CorruptedDataError`` and a
    newer envelope version ``EncryptionVersionError`` (both are
    ``DecryptionError``). The wrapper's ``repr`` never shows key material.
    """

    def __init__(
        self,
        key_value: kv.AsyncKeyValue,
        *,
        fernet: Fernet | MultiFernet | None = None,
        source_material: str | None = None,
        salt: str | None = None,
        raise_on_decryption_error: bool = True,
        require_encryption: bool = False,
    ) -> None:
        if fernet is not None:
            if source_material is not None or salt is not None:
                raise InvalidOptionError("Give either fernet or source_material and salt, not both")
            if not isinstance(fernet, (Fernet, MultiFernet)):
                raise InvalidOptionError(
                    f"fernet must be a Fernet or MultiFernet, not {type(fernet).__name__}"
                )
        else:
            if not isinstance(source_material, str) or not source_material.strip():
                raise InvalidOptionError("Give fernet, or a non-blank source_material and salt")
            if not isinstance(salt, str) or not salt.strip():
                raise InvalidOptionError("A non-blank salt is needed with source_material")
            fernet = Fernet(derive_fernet_key(source_material, salt))
        self._fernet = fernet
        self.raise_on_decryption_error = bool(raise_on_decryption_error)
        self.require_encryption = bool(require_encryption)
        # Values written before encryption was added are read as they are, unless required.
        self._envelope_field = None if self.require_encryption else ENCRYPTED_DATA_KEY
        super().__init__(key_value)

    def _adjust_capabilities(self, capabilities: Capabilities) -> Capabilities:
        limit = capabilities.max_value_size
        if limit is None:
            return capabilities
        return replace(capabilities, max_value_size=_largest_plain_size(limit))

    # --- the format ----------------------------------------------------------------

    def _encode_value(
        self, value: Mapping[str, Any], *, key: str, collection: str | None
    ) -> dict[str, Any]:
        text = dump_value(value)
        try:
            token = self._fernet.encrypt(text.encode("ascii"))
        except Exception as error:
            raise EncryptionError(
                f"The value could not be encrypted: {type(error).__name__}"
            ) from None
        return {
            ENCRYPTED_DATA_KEY: base64.b64encode(token).decode("ascii"),
            ENCRYPTION_VERSION_KEY: ENCRYPTION_VERSION,
        }

    def _decode_value(
        self, stored: dict[str, Any], *, key: str, collection: str | None
    ) -> dict[str, Any] | None:
        if ENCRYPTED_DATA_KEY not in stored and not self.require_encryption:
            return stored
        try:
            return self._open_envelope(stored)
        except DecryptionError:
            if not self.raise_on_decryption_error:
                return None
            raise

    def _open_envelope(self, envelope: dict[str, Any]) -> dict[str, Any]:
        if ENCRYPTED_DATA_KEY not in envelope:
            raise DecryptionError("The stored value is not encrypted and require_encryption is set")
        version = envelope.get(ENCRYPTION_VERSION_KEY)
        data = envelope.get(ENCRYPTED_DATA_KEY)
        if type(version) is not int:
            raise CorruptedDataError(
                f"The encrypted envelope's {ENCRYPTION_VERSION_KEY!r} is a"
                f" {type(version).__name__}, not an int"
            )
        if not isinstance(data, str):
            raise CorruptedDataError(
                f"The encrypted envelope's {ENCRYPTED_DATA_KEY!r} is a"
                f" {type(data).__name__}, not text"
            )
        if version > ENCRYPTION_VERSION:
            raise EncryptionVersionError(
                f"The value was encrypted with envelope version {version}; this release reads"
                f" versions up to {ENCRYPTION_VERSION}"
            )
        try:
            token = base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError):
            raise CorruptedDataError("The encrypted envelope's data is not base64") from None
        try:
            plain = self._fernet.decrypt(token)
        except InvalidToken:
            raise DecryptionError(
                "The value cannot be decrypted: wrong key, or the data was tampered with"
            ) from None
        try:
            return load_value(plain)
        except KeyValueError as error:
            raise CorruptedDataError(f"The decrypted value is not a JSON object: {error}") from None
