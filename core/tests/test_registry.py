"""Plugin discovery: lazy by scheme, isolated failures, conflicts and choices.

Each test installs fake distributions into a temporary ``sys.path`` folder
(``*.dist-info`` with ``entry_points.txt``), the same layout pip and uv write;
each names a ``StorePlugin`` declaration in a light module and a store class
in a module that imports a stand-in for a client library.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency on Python 3.10
    import tomli as tomllib

import kv
from kv.discovery import PluginRegistry
from kv.plugin import Capabilities, CommonOptions, StorePlugin

PLUGIN_TEMPLATE = """
from kv.plugin import StorePlugin
from kv.stores.memory import MEMORY_CAPABILITIES, MemoryOptions

PLUGIN = StorePlugin(
    store={store!r}, options=MemoryOptions, capabilities=MEMORY_CAPABILITIES, description="fake"
)
"""

STORE_TEMPLATE = """
import {heavy}  # stands for a client library

from kv.stores.memory import MemoryStore

class FakeStore(MemoryStore):
    made_by = {name!r}
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
        target: str = "PLUGIN",
    ) -> None:
        info = tmp_path / f"{dist.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
        value = f"{package}.plugin" + (f":{target}" if target else "")
        lines = "\n".join(f"{scheme} = {value}" for scheme in schemes)
        (info / "entry_points.txt").write_text(f"[kv.stores]\n{lines}\n")
        pkg = tmp_path / package
        pkg.mkdir()
        (pkg / "__init__.py").write_text("")
        heavy = f"{package}_heavy"
        (tmp_path / f"{heavy}.py").write_text("LOADED = True\n")
        plugin_source = PLUGIN_TEMPLATE.format(store=f"{package}.factory:FakeStore")
        if broken:
            plugin_source = "raise RuntimeError('this plugin is broken')\n"
        (pkg / "plugin.py").write_text(textwrap.dedent(plugin_source))
        (pkg / "factory.py").write_text(STORE_TEMPLATE.format(heavy=heavy, name=dist))
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
    assert plugin.store == "alpha_pkg.factory:FakeStore"
    assert "alpha_pkg.plugin" in sys.modules
    assert "alpha_pkg.factory" not in sys.modules, "the store is imported only to build a store"
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
    assert registry.resolve("fine").store == "fine_pkg.factory:FakeStore"
    assert kv.connect("memory://", registry=registry) is not None
    infos = {info.scheme: info for info in registry.plugins()}
    assert infos["broken"].plugin is None
    assert "broken" in (infos["broken"].error or "")
    assert infos["fine"].plugin is not None


def test_entry_point_naming_something_else_than_a_declaration(install: Installer) -> None:
    install("kv-liar", ("liar",), package="liar_pkg", target="NO_SUCH_NAME")
    with pytest.raises(kv.PluginLoadError, match="failed to import"):
        PluginRegistry().resolve("liar")
    install("kv-module", ("module",), package="module_pkg", target="")
    with pytest.raises(kv.PluginLoadError, match=r"must name a kv\.plugin\.StorePlugin"):
        PluginRegistry().resolve("module")


def test_one_declaration_serves_several_schemes(install: Installer) -> None:
    install("kv-alpha", ("alpha", "alpha+tls"), package="alpha_pkg")
    registry = PluginRegistry()
    assert registry.resolve("alpha") is registry.resolve("alpha+tls")


def test_unknown_scheme_lists_schemes_and_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    import kv.discovery

    index = {**kv.discovery.first_party_plugins(), "notinstalled": "kv-notinstalled"}
    monkeypatch.setattr(kv.discovery, "first_party_plugins", lambda: index)
    registry = PluginRegistry()
    with pytest.raises(kv.UnknownSchemeError) as caught:
        registry.resolve("notinstalled")
    message = str(caught.value)
    assert "pip install kv-notinstalled" in message
    assert "memory" in message
    with pytest.raises(kv.UnknownSchemeError) as caught:
        registry.resolve("nonesuch")
    assert "pip install" not in str(caught.value)


def test_install_hints_name_only_workspace_distributions() -> None:
    """The index is generated from the plugins' entry points and is up to date."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, str(root / "scripts" / "plugin-index"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    import kv.discovery

    names = {
        tomllib.loads(path.read_text())["project"]["name"]
        for path in root.glob("plugins/*/pyproject.toml")
    }
    assert set(kv.discovery.first_party_plugins().values()) <= names


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
    from kv.stores.plugins import MEMORY

    registry = PluginRegistry()
    registry.register(("inproc", "inproc+x"), MEMORY)
    assert isinstance(kv.connect("inproc://", registry=registry), kv.MemoryStore)
    assert isinstance(kv.connect("inproc+x://", registry=registry), kv.MemoryStore)
    with pytest.raises(kv.PluginConflictError):
        registry.register("inproc", MEMORY)
    registry.register("inproc", MEMORY, replace=True)
    registry.unregister("inproc")
    with pytest.raises(kv.UnknownSchemeError):
        registry.resolve("inproc")


def test_store_that_cannot_be_imported() -> None:
    from kv.capabilities import Capabilities
    from kv.options import CommonOptions
    from kv.plugin import StorePlugin

    registry = PluginRegistry()
    registry.register(
        "ghost", StorePlugin("no_such_module_xyz:Store", CommonOptions, Capabilities())
    )
    with pytest.raises(kv.PluginLoadError, match="client library"):
        kv.connect("ghost://", registry=registry)


def test_builtin_schemes_come_from_kv_core_entry_points() -> None:
    registry = PluginRegistry()
    assert registry.origin("memory") == "kv-core"
    assert registry.origin("null") == "kv-core"
    assert {"memory", "null"} <= registry.schemes()


def test_store_class_must_match_its_declaration() -> None:
    from kv.capabilities import Capabilities
    from kv.options import CommonOptions
    from kv.plugin import StorePlugin

    registry = PluginRegistry()
    registry.register(
        "nofrom", StorePlugin("kv.errors:KeyValueError", CommonOptions, Capabilities())
    )
    with pytest.raises(kv.PluginLoadError, match=r"has no from_url\(\)"):
        kv.connect("nofrom://", registry=registry)
    registry.register(
        "othercaps", StorePlugin("kv.stores.memory:MemoryStore", CommonOptions, Capabilities())
    )
    with pytest.raises(kv.PluginLoadError, match="other capabilities"):
        kv.connect("othercaps://", registry=registry)


def test_bad_option_values_are_option_errors() -> None:
    from kv.stores.plugins import MEMORY

    registry = PluginRegistry()
    registry.register("buggy", MEMORY)
    with pytest.raises(kv.InvalidOptionError):
        kv.connect("buggy://", registry=registry, max_entries=[1])
    with pytest.raises(kv.InvalidOptionError, match="max_entries must be a whole number"):
        kv.connect("buggy://?max_entries=0", registry=registry)


def test_registry_attribute_is_the_shared_registry() -> None:
    import kv.discovery

    assert isinstance(kv.registry, PluginRegistry)
    assert kv.registry is kv.discovery.registry


def test_conformance_hooks_are_found_by_the_store_package_name() -> None:
    from kv_sqlite.plugin import PLUGIN as SQLITE

    assert SQLITE.conformance == ""
    assert SQLITE.conformance_hooks == "kv_sqlite.conformance:HOOKS"
    assert SQLITE.load_conformance() is importlib.import_module("kv_sqlite.conformance").HOOKS


@pytest.mark.parametrize(
    ("store", "conformance", "expected"),
    [
        ("kv.stores.memory:MemoryStore", "", None),  # no kv.stores.conformance module
        ("kv_sqlite.store:SQLiteStore", None, None),  # declared: none
        ("kv_sqlite.store:SQLiteStore", "elsewhere:HOOKS", "elsewhere:HOOKS"),
        ("toplevel_store_module:Store", "", None),  # no package to look in
        ("no_such_package_xyz.store:Store", "", None),
    ],
)
def test_conformance_hooks_default_and_overrides(
    store: str, conformance: str | None, expected: str | None
) -> None:
    plugin = StorePlugin(store, CommonOptions, Capabilities(), conformance=conformance)
    assert plugin.conformance_hooks == expected
    if expected is None:
        assert plugin.load_conformance() is None
