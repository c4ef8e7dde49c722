"""Plugin discovery: lazy by scheme, isolated failures, conflicts and choices.

Each test installs fake distributions into a temporary ``sys.path`` folder
(``*.dist-info`` with ``entry_points.txt``), the same layout pip and uv write.
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import kv
from kv.discovery import PluginRegistry

PLUGIN_TEMPLATE = """
from kv.capabilities import Capabilities
from kv.plugin import StorePlugin, hookimpl

@hookimpl
def kv_store_plugins():
    return [StorePlugin(schemes={schemes!r}, factory={factory!r}, capabilities=Capabilities(),
                        description="fake")]
"""

FACTORY_TEMPLATE = """
import {heavy}  # stands for a client library

def make(url, **options):
    from kv.stores.memory import MemoryStore
    store = MemoryStore(**options)
    store.made_by = {name!r}
    store.url = url
    return store
"""

Installer = Callable[..., None]


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Installer]:
    """Install a fake distribution; everything is removed after the test."""
    added_modules: list[str] = []
    sys.path.insert(0, str(tmp_path))

    def _install(
        dist: str,
        schemes: tuple[str, ...],
        *,
        package: str,
        broken: bool = False,
        declare: tuple[str, ...] | None = None,
    ) -> None:
        info = tmp_path / f"{dist.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
        lines = "\n".join(f"{scheme} = {package}.plugin" for scheme in schemes)
        (info / "entry_points.txt").write_text(f"[kv.stores]\n{lines}\n")
        pkg = tmp_path / package
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        heavy = f"{package}_heavy"
        (tmp_path / f"{heavy}.py").write_text("LOADED = True\n")
        plugin_source = PLUGIN_TEMPLATE.format(
            schemes=declare if declare is not None else schemes,
            factory=f"{package}.factory:make",
        )
        if broken:
            plugin_source = "raise RuntimeError('this plugin is broken')\n"
        (pkg / "plugin.py").write_text(textwrap.dedent(plugin_source))
        (pkg / "factory.py").write_text(FACTORY_TEMPLATE.format(heavy=heavy, name=dist))
        added_modules.extend([package, f"{package}.plugin", f"{package}.factory", heavy])

    yield _install
    sys.path.remove(str(tmp_path))
    for name in added_modules:
        sys.modules.pop(name, None)


def test_lazy_lookup_imports_only_the_requested_plugin(install: Installer) -> None:
    install("kv-alpha", ("alpha",), package="alpha_pkg")
    install("kv-beta", ("beta",), package="beta_pkg")
    registry = PluginRegistry()
    plugin = registry.resolve("alpha")
    assert plugin.schemes == ("alpha",)
    assert "alpha_pkg.plugin" in sys.modules
    assert "alpha_pkg.factory" not in sys.modules, "the factory is imported only to build a store"
    assert "beta_pkg.plugin" not in sys.modules
    store = kv.connect("alpha://?max_entries=3", registry=registry)
    assert store.made_by == "kv-alpha"  # type: ignore[attr-defined]
    assert "alpha_pkg_heavy" in sys.modules
    assert "beta_pkg_heavy" not in sys.modules
    assert registry.origin("alpha") == "kv-alpha"


def test_listing_imports_no_client_library(install: Installer) -> None:
    install("kv-alpha", ("alpha", "alpha+tls"), package="alpha_pkg")
    registry = PluginRegistry()
    infos = {info.scheme: info for info in registry.plugins()}
    assert infos["alpha"].distribution == "kv-alpha"
    assert infos["alpha"].version == "1.2.3"
    assert infos["alpha+tls"].plugin is not None
    assert "memory" in infos
    assert "alpha_pkg_heavy" not in sys.modules


def test_broken_plugin_breaks_only_its_own_schemes(install: Installer) -> None:
    install("kv-broken", ("broken",), package="broken_pkg", broken=True)
    install("kv-fine", ("fine",), package="fine_pkg")
    registry = PluginRegistry()
    with pytest.raises(kv.PluginLoadError) as caught:
        registry.resolve("broken")
    assert "kv-broken" in str(caught.value)
    assert "this plugin is broken" in str(caught.value)
    assert registry.resolve("fine").schemes == ("fine",)
    assert kv.connect("memory://", registry=registry) is not None
    infos = {info.scheme: info for info in registry.plugins()}
    assert infos["broken"].plugin is None
    assert "broken" in (infos["broken"].error or "")
    assert infos["fine"].plugin is not None


def test_entry_point_for_an_undeclared_scheme(install: Installer) -> None:
    install("kv-liar", ("liar",), package="liar_pkg", declare=("other",))
    with pytest.raises(kv.PluginLoadError, match="does not declare it"):
        PluginRegistry().resolve("liar")


def test_unknown_scheme_lists_schemes_and_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from kv.discovery import KNOWN_PLUGINS

    monkeypatch.setitem(KNOWN_PLUGINS, "notinstalled", "kv-notinstalled")
    registry = PluginRegistry()
    with pytest.raises(kv.UnknownSchemeError) as caught:
        registry.resolve("notinstalled")
    message = str(caught.value)
    assert "pip install kv-notinstalled" in message
    assert "memory" in message
    with pytest.raises(kv.UnknownSchemeError) as caught:
        registry.resolve("nonesuch")
    assert "pip install" not in str(caught.value)


def test_two_distributions_claiming_a_scheme_is_an_error_naming_both(
    install: Installer,
) -> None:
    install("kv-one", ("shared",), package="one_pkg")
    install("kv-two", ("shared",), package="two_pkg")
    registry = PluginRegistry()
    with pytest.raises(kv.PluginConflictError) as caught:
        registry.resolve("shared")
    assert "kv-one" in str(caught.value)
    assert "kv-two" in str(caught.value)
    assert "KV_PLUGIN_SHARED" in str(caught.value)


def test_user_chooses_with_environment_variable(
    install: Installer, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("kv-one", ("shared+x",), package="one_pkg")
    install("kv-two", ("shared+x",), package="two_pkg")
    monkeypatch.setenv("KV_PLUGIN_SHARED_X", "kv-two")
    store = kv.connect("shared+x://", registry=PluginRegistry())
    assert store.made_by == "kv-two"  # type: ignore[attr-defined]


def test_user_chooses_in_code(install: Installer) -> None:
    install("kv-one", ("shared",), package="one_pkg")
    install("kv-two", ("shared",), package="two_pkg")
    registry = PluginRegistry()
    registry.prefer("shared", "kv_one")
    assert kv.connect("shared://", registry=registry).made_by == "kv-one"  # type: ignore[attr-defined]
    registry.prefer("shared", "kv-three")
    with pytest.raises(kv.PluginConflictError, match="does not provide it"):
        registry.resolve("shared")


def test_disabled_distribution_is_hidden(
    install: Installer, monkeypatch: pytest.MonkeyPatch
) -> None:
    install("kv-alpha", ("alpha",), package="alpha_pkg")
    monkeypatch.setenv("KV_DISABLE_PLUGINS", "kv-alpha")
    with pytest.raises(kv.UnknownSchemeError):
        PluginRegistry().resolve("alpha")


def test_register_in_code() -> None:
    from kv.capabilities import Capabilities
    from kv.plugin import StorePlugin

    registry = PluginRegistry()
    plugin = StorePlugin(("inproc",), "kv.stores.factories:memory_from_url", Capabilities())
    registry.register(plugin)
    assert isinstance(kv.connect("inproc://", registry=registry), kv.MemoryStore)
    with pytest.raises(kv.PluginConflictError):
        registry.register(plugin)
    registry.register(plugin, replace=True)
    registry.unregister("inproc")
    with pytest.raises(kv.UnknownSchemeError):
        registry.resolve("inproc")


def test_factory_that_cannot_be_imported() -> None:
    from kv.capabilities import Capabilities
    from kv.plugin import StorePlugin

    registry = PluginRegistry()
    registry.register(StorePlugin(("ghost",), "no_such_module_xyz:make", Capabilities()))
    with pytest.raises(kv.PluginLoadError, match="client library"):
        kv.connect("ghost://", registry=registry)


def test_builtin_schemes_come_from_kv_core_entry_points() -> None:
    registry = PluginRegistry()
    assert registry.origin("memory") == "kv-core"
    assert registry.origin("null") == "kv-core"
    assert {"memory", "null"} <= registry.schemes()


def test_factory_with_a_wrong_signature_is_a_plugin_error() -> None:
    from kv.capabilities import Capabilities
    from kv.plugin import StorePlugin

    registry = PluginRegistry()
    registry.register(StorePlugin(("nokw",), "kv.stores.memory:MemoryStore", Capabilities()))
    with pytest.raises(kv.PluginLoadError, match=r"must accept \(url, \*\*options\)"):
        kv.connect("nokw://", registry=registry)


def test_type_error_inside_a_factory_is_not_hidden() -> None:
    from kv.capabilities import Capabilities
    from kv.plugin import StorePlugin

    registry = PluginRegistry()
    registry.register(
        StorePlugin(("buggy",), "kv.stores.factories:memory_from_url", Capabilities())
    )
    with pytest.raises(kv.InvalidOptionError):
        kv.connect("buggy://", registry=registry, max_entries=[1])


def test_registry_attribute_is_the_shared_registry() -> None:
    import kv.discovery

    assert isinstance(kv.registry, PluginRegistry)
    assert kv.registry is kv.discovery.registry
