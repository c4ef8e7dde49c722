"""Type checkers see an options class as the keyword-only dataclass it is.

``option(default=..., check=...)`` is a field specifier: mypy must treat the
field as having a default, so ``Options(path="x")`` type-checks without every
other option. Checked by running mypy --strict on a small module.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

mypy_api = pytest.importorskip("mypy.api")

SOURCE = """
from kv import checks
from kv.options import CommonOptions, LocalPathOptions, option


class Declared(LocalPathOptions):
    table: str = option(default="kv", check=checks.sql_identifier)
    wait: float = option(default=5.0, check=checks.seconds)
    name: str | None = None


built = Declared(path="data")
also = Declared(path="data", table="t", wait=1.0, sweep_limit=10)
plain = CommonOptions()
reveal_type(built.table)
"""


def test_declared_options_type_check(tmp_path: Path) -> None:
    module = tmp_path / "declared.py"
    module.write_text(textwrap.dedent(SOURCE))
    stdout, stderr, status = mypy_api.run(
        ["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(module)]
    )
    assert 'Revealed type is "str"' in stdout or 'Revealed type is "builtins.str"' in stdout
    errors = [line for line in stdout.splitlines() if ": error:" in line]
    assert not errors, stdout + stderr
    assert status == 0, stdout + stderr
