"""Collapsed sections (<details>, aria-expanded=false) that hold a setting's control, opened as a person would."""

from __future__ import annotations

from typing import TYPE_CHECKING

from playwright.async_api import Locator, Page

from runner.wording import destructive, mentions

if TYPE_CHECKING:
    from runner.flow import Flow, Setting

# The clickable openers of the collapsed ancestors of a hidden element: <summary> of a closed <details>, and the
# aria-expanded=false control whose aria-controls names an ancestor.
OPENERS_OF = """el => {
  const out = [];
  for (let node = el.parentElement; node; node = node.parentElement) {
    if (node.tagName === 'DETAILS' && !node.open) {
      const summary = node.querySelector(':scope > summary');
      if (summary) out.push(summary);
    }
    if (node.id) {
      for (const opener of document.querySelectorAll('[aria-expanded="false"][aria-controls]')) {
        if (opener.getAttribute('aria-controls').split(/\\s+/).includes(node.id)) out.push(opener);
      }
    }
  }
  return out.reverse();
}"""

COLLAPSED = "details:not([open]) > summary, [aria-expanded='false']"


async def open_ancestors(control: Locator) -> None:
    """A control that is in the page but hidden in a collapsed section: open the sections around it, outermost first."""
    if await control.is_visible():
        return
    openers = await control.evaluate_handle(OPENERS_OF)
    for i in range(await openers.evaluate("list => list.length")):
        opener = (await openers.evaluate_handle("(list, i) => list[i]", i)).as_element()
        if opener is not None and await opener.is_visible():
            await opener.click()


async def open_sections_about(page: Page, flow: "Flow", setting: "Setting") -> bool:
    """A control not rendered until its section opens: open the collapsed sections whose opener names the setting."""
    opened = False
    for opener in (await page.locator(COLLAPSED).filter(visible=True).element_handles())[:20]:
        text = " ".join(((await opener.inner_text()) or (await opener.get_attribute("aria-label")) or "").split())
        if text and mentions(text, setting.names) and not destructive(text):
            await opener.click()
            opened = True
    return opened
