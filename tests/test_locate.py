"""Selector fallbacks in a real browser: order wins, ambiguity is skipped, absence is reported."""

from __future__ import annotations

import pytest

from runner import locate
from runner.locate import Locators, SelectorNotFound

PAGE = """
<main>
  <label><input type="checkbox" name="a"> Allow X to personalize your experience with Grok</label>
  <label><input type="checkbox" name="b"> Allow your posts to be used for training and fine-tuning</label>
  <label><input type="checkbox" name="c"> Allow Grok to remember your conversation history</label>
  <div role="switch" aria-checked="true" aria-label="Private account"></div>
  <section hidden><input data-testid="code"></section><input data-testid="code">
</main>
"""


@pytest.fixture
def table(monkeypatch):
    data = {
        "training": ({"role": "checkbox", "name": "training and fine-tuning"}, {"css": "input[name=a]"}),
        "ambiguous_then_css": ({"css": "input[type=checkbox]"}, {"css": "input[name=c]"}),
        "private": ({"role": "switch", "name": "Private account"},),
        "visible_code": ({"testid": "code"},),
        "gone": ({"role": "checkbox", "name": "Use my data for training"}, {"css": "#nope"}),
    }
    monkeypatch.setattr(locate, "load", lambda platform: data)
    return Locators("test", timeout_ms=500)


async def test_first_unique_fallback_wins(page, table):
    await page.set_content(PAGE)
    assert await (await table.find(page, "training")).get_attribute("name") == "b"


async def test_ambiguous_fallback_is_skipped_not_guessed(page, table):
    await page.set_content(PAGE)
    assert await (await table.find(page, "ambiguous_then_css")).get_attribute("name") == "c"


async def test_switch_state_reads_from_aria_checked(page, table):
    await page.set_content(PAGE)
    assert await (await table.find(page, "private")).is_checked() is True


async def test_hidden_duplicates_leave_one_visible_match(page, table):
    await page.set_content(PAGE)
    assert await (await table.find(page, "visible_code")).is_visible()


async def test_missing_control_raises_selector_not_found(page, table):
    await page.set_content(PAGE)
    with pytest.raises(SelectorNotFound):
        await table.find(page, "gone")


def test_every_bundled_selectors_file_parses():
    for path in locate.selectors_dir().glob("*.toml"):
        locate.load(path.stem)  # raises on a malformed file or fallback


async def test_a_control_that_appears_later_is_waited_for(page, table):
    await page.set_content("<main></main>")
    await page.evaluate(
        """setTimeout(() => document.querySelector('main').insertAdjacentHTML('beforeend',
            '<div role="switch" aria-checked="false" aria-label="Private account"></div>'), 100)"""
    )
    assert await (await table.find(page, "private")).is_checked() is False
