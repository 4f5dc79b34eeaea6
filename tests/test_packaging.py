"""The selector data loads the same from a checkout, an editable install and a built wheel."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
import zipfile

import flows
from tests.conftest import ROOT


def test_wheel_carries_selectors_and_runs_from_a_fresh_venv(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("optout_run-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for platform in flows.names():
        assert f"runner/_selectors/{platform}.toml" in names
        assert f"flows/{platform}.py" in names
    assert not any(n.startswith("selectors/") for n in names), "selectors/ must never be a top-level package"

    # Dependencies come from this interpreter's site-packages (listed in a .pth, whose own .pth files, such as the
    # checkout's editable install, are not read); the project itself only from the wheel.
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    (own_site,) = (target / "lib").glob("python*/site-packages")
    (own_site / "test-dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    clean = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(python), "-c", "import runner.locate as l; print(l.selectors_dir())"],
        cwd=tmp_path, capture_output=True, text=True, env=clean, check=True,
    )
    assert str(target) in where.stdout, "the wheel's own copy, not the checkout"
    listed = subprocess.run(
        [str(target / "bin" / "optout-run"), "platforms"], cwd=tmp_path, capture_output=True, text=True, env=clean
    )
    assert listed.returncode == 0, listed.stderr
    assert "grok_training" in listed.stdout
