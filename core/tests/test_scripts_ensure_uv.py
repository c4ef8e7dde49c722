"""scripts/ensure-uv: the uv on PATH, else uv installed with pip into its own directory.

The install is checked with the machine's own python3 and pip (on Debian an
"externally managed" Python, which refuses a plain ``pip install``), offline:
pip installs a stand-in ``uv`` wheel made here, found through PIP_FIND_LINKS.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENSURE_UV = ROOT / "scripts" / "ensure-uv"
SYSTEM_PATH = "/usr/bin:/bin"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _uv_wheel(directory: Path) -> Path:
    """A wheel named uv whose ``uv`` script prints a version, as the real one does."""
    files = {
        "uv-99.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: uv\nVersion: 99.0\n",
        "uv-99.0.dist-info/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: kv-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        "uv-99.0.data/scripts/uv": b"#!/bin/sh\necho 'uv 99.0 (stand-in)'\n",
    }
    record = [_record_line(name, data) for name, data in files.items()]
    record.append("uv-99.0.dist-info/RECORD,,")
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / "uv-99.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o100755 << 16  # a regular, executable file
            archive.writestr(info, data)
        archive.writestr("uv-99.0.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ENSURE_UV)], env=env, capture_output=True, text=True, check=False, timeout=300
    )


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "VIRTUAL_ENV", "UV_", "KV_UV_HOME", "XDG_CACHE_HOME"))
    }
    env.update(extra)
    return env


def test_the_uv_on_path_is_used(tmp_path: Path) -> None:
    uv = tmp_path / "bin" / "uv"
    uv.parent.mkdir()
    uv.write_text("#!/bin/sh\necho 'uv 1.0'\n", encoding="utf-8")
    uv.chmod(0o755)
    done = _run(_clean_env(PATH=f"{uv.parent}:{SYSTEM_PATH}", KV_UV_HOME=str(tmp_path / "h")))
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"{uv}\n"
    assert not (tmp_path / "h").exists()


def test_without_uv_pip_installs_it_into_its_own_directory(tmp_path: Path) -> None:
    if shutil.which("uv", path=SYSTEM_PATH) is not None:
        pytest.fail(f"uv is installed in {SYSTEM_PATH}: this test needs a machine without it")
    wheels = _uv_wheel(tmp_path / "wheels").parent
    home = tmp_path / "kv uv"  # a space in the path
    env = _clean_env(
        PATH=SYSTEM_PATH,
        KV_UV_HOME=str(home),
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheels),
        PIP_ROOT_USER_ACTION="ignore",
    )
    first = _run(env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == f"{home / 'bin' / 'uv'}\n"
    assert "installing uv" in first.stderr
    uv = subprocess.run(
        [first.stdout.strip(), "--version"], capture_output=True, text=True, check=True
    )
    assert uv.stdout.startswith("uv 99.0")
    # The next run reuses it (no pip: the wheel is gone).
    shutil.rmtree(wheels)
    second = _run(env)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout
    assert "installing" not in second.stderr
