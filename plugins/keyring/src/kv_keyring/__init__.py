"""kv-keyring: a kv store in the operating system's keyring.

Once the distribution is installed, ``kv.connect("keyring://my-app")`` opens it; or
build it directly with ``KeyringStore("my-app")``. The store (and keyring) is imported
on first access to :class:`KeyringStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_keyring.plugin import KEYRING_CAPABILITIES, KeyringOptions

if TYPE_CHECKING:
    from kv_keyring.store import KeyringStore

__all__ = ["KEYRING_CAPABILITIES", "KeyringOptions", "KeyringStore"]

__getattr__ = lazy_exports(__name__, {"KeyringStore": "kv_keyring.store"})
