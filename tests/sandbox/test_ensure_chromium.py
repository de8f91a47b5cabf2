"""`make test` installs Chromium for the browser tests, or says in one line what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAKE = shutil.which("make")
THE_LINE = (
    "Browser tests need Chromium ({path} is missing): install Debian's `chromium` package "
    "(apt-get install chromium) or set CHROMIUM=/path"
)


def _bin(tmp_path: Path, **fakes: str) -> Path:
    """A PATH folder with bash, id and chmod, and fake commands given as shell script bodies."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for tool in ("bash", "id", "chmod"):
        (folder / tool).symlink_to(shutil.which(tool))
    for name, body in fakes.items():
        script = folder / name.replace("_", "-")
        script.write_text(f"#!{shutil.which('bash')}\n{body}\n")
        script.chmod(0o755)
    return folder


def _chromium_step(path: Path, chromium: Path) -> subprocess.CompletedProcess[str]:
    assert MAKE is not None
    env = {"PATH": str(path), "CHROMIUM": str(chromium), "HOME": os.environ.get("HOME", "/")}
    return subprocess.run(
        [MAKE, "--no-print-directory", "chromium"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


pytestmark = pytest.mark.skipif(MAKE is None, reason="needs make")


def test_without_apt_get_it_stops_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    result = _chromium_step(_bin(tmp_path), missing)
    assert result.returncode != 0
    assert result.stderr.splitlines()[0] == THE_LINE.format(path=missing)
    assert result.stdout == ""


def test_it_installs_debians_chromium_with_apt_get(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    calls = tmp_path / "calls"
    fake_apt = (
        f'echo "$*" >> {calls}\nif [ "$1" = install ]; then : > {chromium}; chmod +x {chromium}; fi'
    )
    result = _chromium_step(_bin(tmp_path, apt_get=fake_apt), chromium)
    assert result.returncode == 0, result.stderr
    assert calls.read_text().splitlines() == ["update -q", "install -y -q chromium"]
    assert "Installing Debian's chromium" in result.stdout


def test_it_uses_sudo_when_not_root(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    calls = tmp_path / "calls"
    bin_ = _bin(
        tmp_path,
        apt_get=f'echo "apt-get $*" >> {calls}',
        sudo=f'echo "sudo $1" >> {calls}; "$@"',
    )
    (bin_ / "id").unlink()
    (bin_ / "id").write_text(f"#!{shutil.which('bash')}\necho 1000\n")
    (bin_ / "id").chmod(0o755)
    result = _chromium_step(bin_, chromium)
    # The fake apt-get installs nothing: after trying, the same one line.
    assert calls.read_text().splitlines() == [
        "sudo apt-get",
        "apt-get update -q",
        "sudo apt-get",
        "apt-get install -y -q chromium",
    ]
    assert result.returncode != 0
    assert THE_LINE.format(path=chromium) in result.stderr.splitlines()


def test_a_present_chromium_needs_nothing(tmp_path: Path) -> None:
    chromium = tmp_path / "chromium"
    chromium.write_text("")
    chromium.chmod(0o755)
    calls = tmp_path / "calls"
    result = _chromium_step(_bin(tmp_path, apt_get=f"echo called >> {calls}"), chromium)
    assert result.returncode == 0
    assert (result.stdout, result.stderr) == ("", "")
    assert not calls.exists()


def test_the_browser_tests_come_after_the_chromium_step() -> None:
    assert MAKE is not None
    for target in ("test-py", "test-services"):
        plan = subprocess.run(
            [MAKE, "-n", "--no-print-directory", target],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        ).stdout.splitlines()
        steps = [i for i, line in enumerate(plan) if "scripts/ensure-chromium" in line]
        pytest_runs = [i for i, line in enumerate(plan) if "-m pytest" in line]
        assert steps, plan
        assert not pytest_runs or steps[0] < pytest_runs[0]
