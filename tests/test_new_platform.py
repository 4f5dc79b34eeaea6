"""`./dev new-platform NAME` (scripts/new_platform.py): what it scaffolds passes the registry test, and its scenarios
their declared outcomes, untouched. It writes into a copy of the repository, which the test removes again."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ROOT

COPIED = ("runner", "flows", "selectors", "tests", "scripts", "pyproject.toml", "fixtures/README.md")


def scaffolder():
    spec = importlib.util.spec_from_file_location("new_platform", ROOT / "scripts" / "new_platform.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def repo(tmp_path):
    """A copy of what the registry test reads (no other platform's fixtures: `-k NAME` keeps to the new one)."""
    root = tmp_path / "repo"
    ignore = shutil.ignore_patterns("__pycache__", ".pytest_cache")
    for name in COPIED:
        source, target = ROOT / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, target, ignore=ignore) if source.is_dir() else shutil.copy(source, target)
    yield root
    shutil.rmtree(root)  # what it wrote goes with the copy


def test_a_scaffolded_platform_passes_the_registry_test_and_its_scenarios_untouched(repo):
    new = scaffolder()
    written = new.scaffold("acmesocial", title="Acme Social", origin="https://www.acme-social.example", root=repo)
    names = {str(p.relative_to(repo)) for p in written}
    assert {"flows/acmesocial.py", "selectors/acmesocial.toml", "flows/__init__.py"} <= names
    for scenario in ("exposed", "compliant", "wrong-password", "challenge", "ui-changed"):
        assert f"fixtures/acmesocial/{scenario}/manifest.toml" in names
    assert '"acmesocial": "flows.acmesocial:AcmesocialFlow",' in (repo / "flows" / "__init__.py").read_text()
    assert "__" not in (repo / "selectors" / "acmesocial.toml").read_text().replace("__init__", "")  # all filled in

    env = {**os.environ, "PYTHONPATH": str(repo), "PYTHONDONTWRITEBYTECODE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/test_registry.py",
         "tests/test_scenarios.py", "-k", "acmesocial"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "failed" not in done.stdout
    assert "acmesocial" not in (ROOT / "flows" / "__init__.py").read_text()  # the real registry is untouched


def test_it_refuses_a_taken_or_malformed_name_and_overwrites_nothing(repo):
    new = scaffolder()
    before = (repo / "flows" / "__init__.py").read_text()
    for name, message in (("x", "already in flows/__init__.py"), ("Pin-terest", "NAME must be"), ("_signin_y", "NAME must be")):
        with pytest.raises(new.ScaffoldError, match=message):
            new.scaffold(name, root=repo)
    with pytest.raises(new.ScaffoldError, match="--origin must be https://HOST"):
        new.scaffold("acme", origin="http://acme.example/login", root=repo)
    (repo / "selectors" / "acme.toml").write_text("schema = 1\n")  # a file in the way: nothing at all is written
    with pytest.raises(new.ScaffoldError, match="already there, nothing written: selectors/acme.toml"):
        new.scaffold("acme", root=repo)
    assert (repo / "flows" / "__init__.py").read_text() == before and not (repo / "flows" / "acme.py").exists()


def test_dev_new_platform_runs_the_scaffolder_and_says_what_it_wrote(repo):
    shutil.copy(ROOT / "dev", repo / "dev")
    done = subprocess.run(["./dev", "new-platform", "acme", "--origin", "https://www.acme.example"], cwd=repo,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "wrote  selectors/acme.toml" in done.stdout and "CONTRIBUTING.md" in done.stdout
    again = subprocess.run(["./dev", "new-platform", "acme"], cwd=repo, capture_output=True, text=True, timeout=60)
    assert again.returncode == 2 and "new-platform: acme is already in flows/__init__.py" in again.stderr
