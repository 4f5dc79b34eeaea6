"""Which Chromium a run launches: the user's choice, Playwright's own, then the system's, headless shell first."""

from __future__ import annotations

import pytest

from runner.browser import BrowserNotFound, resolve_executable


@pytest.fixture
def system(tmp_path, monkeypatch):
    """A PATH holding only the named executables; no OPTOUT_CHROMIUM."""
    monkeypatch.delenv("OPTOUT_CHROMIUM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))

    def install(*names: str) -> None:
        for name in names:
            exe = tmp_path / name
            exe.write_text("#!/bin/sh\n")
            exe.chmod(0o755)

    return install


def test_headless_runs_take_the_headless_shell_and_headed_runs_the_full_browser(system, tmp_path):
    system("chromium", "chromium-headless-shell")
    assert resolve_executable("", "") == str(tmp_path / "chromium-headless-shell")
    assert resolve_executable("", "", headed=True) == str(tmp_path / "chromium")


def test_without_a_headless_shell_headless_runs_take_the_full_browser(system, tmp_path):
    system("chromium")
    assert resolve_executable("", "") == str(tmp_path / "chromium")


def test_a_headless_shell_alone_cannot_show_a_window(system):
    system("chromium-headless-shell")
    with pytest.raises(BrowserNotFound, match="chromium-headless-shell"):
        resolve_executable("", "", headed=True)


def test_playwrights_own_browser_comes_before_the_system_ones(system, tmp_path):
    system("chromium-headless-shell")
    own = tmp_path / "playwright-chrome"
    own.write_text("")
    assert resolve_executable("", str(own)) is None  # None: Playwright picks its own (its headless shell when headless)


def test_the_users_choice_wins_for_headless_and_headed(system, tmp_path, monkeypatch):
    system("chromium", "chromium-headless-shell")
    chosen = tmp_path / "my-chrome"
    chosen.write_text("")
    assert resolve_executable(str(chosen), "") == str(chosen)
    monkeypatch.setenv("OPTOUT_CHROMIUM", str(chosen))
    assert resolve_executable("", "", headed=True) == str(chosen)
