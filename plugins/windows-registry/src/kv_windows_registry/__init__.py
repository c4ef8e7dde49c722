"""kv-windows-registry: a kv store in the Windows registry.

Open it by URL once the distribution is installed (on Windows)::

    import kv

    store = kv.connect("winreg://HKCU/Software/my-app")
    await store.put("window", {"width": 800}, collection="settings")

or build it directly with ``WindowsRegistryStore("Software\\\\my-app", hive="HKCU")``.
The distribution installs and imports on every platform; building the store
anywhere but Windows raises :class:`~kv.errors.StoreSetupError`. The store
module is imported on first access to :class:`WindowsRegistryStore`.
"""

from typing import TYPE_CHECKING

from kv.plugin import lazy_exports
from kv_windows_registry.plugin import WINREG_CAPABILITIES, WindowsRegistryOptions

if TYPE_CHECKING:
    from kv_windows_registry.store import WindowsRegistryStore

__all__ = ["WINREG_CAPABILITIES", "WindowsRegistryOptions", "WindowsRegistryStore"]

__getattr__ = lazy_exports(__name__, {"WindowsRegistryStore": "kv_windows_registry.store"})
