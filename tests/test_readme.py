"""The README's generated tables stay in step with their one source: a test fails when they disagree."""

from __future__ import annotations

import re

import flows
from runner.catalog import readme_table, state_words
from tests.conftest import ROOT

README = ROOT / "README.md"


def test_readme_platform_table_is_generated_from_the_registry():
    """Regenerate it with `.venv/bin/python -m runner.catalog --write`."""
    text = README.read_text(encoding="utf-8")
    assert readme_table() in text, "README.md's platform table is out of date: run .venv/bin/python -m runner.catalog --write"


def test_the_table_names_every_registered_platform_once():
    table = readme_table()
    for name in flows.names():
        assert len(re.findall(rf"^\| [^|]+ \(`{re.escape(name)}`\) \|", table, re.M)) == 1, name


def test_states_come_from_the_data():
    site = flows.load("whatsapp").site
    assert {state_words(site, s) for s in site.settings} == {"My contacts, or Nobody"}  # the audience option's choices
    x = flows.load("x").site
    assert [state_words(x, s) for s in x.settings] == ["off", "off"]
    snap = flows.load("snapchat").site
    assert all(state_words(snap, s).startswith("app only") for s in snap.settings)
