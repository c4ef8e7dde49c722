"""Fixtures of the kv-windows-registry tests.

Tests that need the registry run only where :mod:`winreg` exists (Windows,
in the ``windows-registry`` GitHub Actions workflow); each gets its own key
``HKEY_CURRENT_USER\\Software\\kv-tests\\{random}``, deleted afterwards.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

TEST_ROOT = "Software\\kv-tests"


def winreg_module() -> Any:
    """The winreg module (only call where it exists)."""
    return importlib.import_module("winreg")


def delete_tree(path: str) -> None:
    """Delete ``HKEY_CURRENT_USER\\{path}`` and everything under it, if present."""
    winreg = winreg_module()
    try:
        handle = winreg.OpenKey(winreg.HKEY_CURRENT_USER, path, 0, winreg.KEY_READ)
    except FileNotFoundError:
        return
    with handle:
        count = winreg.QueryInfoKey(handle)[0]
        children = [winreg.EnumKey(handle, index) for index in range(count)]
    for child in children:
        delete_tree(f"{path}\\{child}")
    winreg.DeleteKey(winreg.HKEY_CURRENT_USER, path)


@pytest.fixture(name="delete_tree")
def delete_tree_fixture() -> Callable[[str], None]:
    """:func:`delete_tree`, for tests that delete keys behind a store's back."""
    return delete_tree


@pytest.fixture
def winreg_api() -> Any:
    """The winreg module, for tests that look at the registry directly."""
    return winreg_module()


@pytest.fixture
def registry_path() -> Iterator[str]:
    """A fresh key path under HKEY_CURRENT_USER, deleted after the test."""
    path = f"{TEST_ROOT}\\{uuid.uuid4().hex}"
    try:
        yield path
    finally:
        delete_tree(path)
