"""Confirmation dialogs after our own click ("Turn off?", "Switch to private account?"): answered or refused.

A dialog is answered only when it is a role=dialog/alertdialog (or an open <dialog>) that appeared in response to
our click and names the setting or the action; its confirming button is picked by role and a list of wordings
(the flow's declared one first), never one whose wording is destructive. Any other dialog fails the setting
with a detail that names it: confirming something we did not expect is worse than stopping.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from playwright.async_api import ElementHandle, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner.errors import Failed
from runner.locate import build
from runner.results import Reason
from runner.settle import QUIET
from runner.wording import CONFIRM, destructive, mentions, name_pattern, normalize

if TYPE_CHECKING:
    from runner.flow import Flow, Setting

DIALOGS = "[role=dialog], [role=alertdialog], dialog[open]"
ACTIONS = ("turn off", "switch off", "opt out", "stop", "disable", "private", "don't allow", "do not allow")

# The dialogs on screen before our click; a hidden one the page keeps rendered and unhides later counts as new.
REMEMBER = f"""() => {{
  window.__optoutDialogs = new WeakSet(Array.from(document.querySelectorAll({DIALOGS!r}))
    .filter(d => d.getClientRects().length && getComputedStyle(d).visibility !== 'hidden'));
}}"""
# A visible dialog that was not there before our click, or (settleEnds) 'settled' once the page's own work has
# settled without one.
NEW_DIALOG = f"""(settleEnds) => {{
  const seen = window.__optoutDialogs || new WeakSet();
  const fresh = Array.from(document.querySelectorAll({DIALOGS!r})).filter(d => !seen.has(d)
    && d.getClientRects().length && getComputedStyle(d).visibility !== 'hidden');
  if (fresh.length) return fresh[fresh.length - 1];
  return settleEnds && ({QUIET})() ? 'settled' : false;
}}"""


async def remember_dialogs(page: Page) -> None:
    await page.evaluate(REMEMBER)


async def remember_own(dialogs) -> None:
    """Dialogs the flow's own action opened (a picker): not confirmations, whatever they say."""
    for handle in await dialogs.element_handles():
        await handle.evaluate(f"el => window.__optoutDialogs?.add(el.closest({DIALOGS!r}) || el)")


async def answer(page: Page, flow: "Flow", setting: "Setting", saved: asyncio.Future | None) -> None:
    """Wait for the first of: a new dialog, the flow's declared confirm button, the save request, or the page
    settling; answer the dialog or press the declared button if one came first."""
    timeout = flow.loc.timeout_ms
    # Without a save request to wait for, the page settling ends the wait; with one, the response does.
    appeared = asyncio.ensure_future(
        page.wait_for_function(NEW_DIALOG, arg=saved is None, polling="raf", timeout=timeout)
    )
    declared = None
    if setting.confirm:  # some confirmations (a contact picker) are no dialog at all
        button = flow.loc.any_of(page, setting.confirm).filter(visible=True).first
        declared = asyncio.ensure_future(button.wait_for(timeout=timeout))
    waits = {appeared} | ({declared} if declared else set())
    try:
        done, _ = await asyncio.wait(waits | ({saved} if saved else set()), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            if not wait.done():
                wait.cancel()
                wait.add_done_callback(lambda f: f.cancelled() or f.exception())
    if appeared in done and appeared.exception() is None:
        dialog = (await appeared).as_element()
        if dialog is not None:
            return await confirm_dialog(page, flow, setting, dialog)
    if declared is not None and declared in done and declared.exception() is None:
        if not destructive(await button.inner_text()):
            await button.click()


async def confirm_dialog(page: Page, flow: "Flow", setting: "Setting", dialog: ElementHandle) -> None:
    text = " ".join((await dialog.inner_text()).split())
    title = await dialog_title(dialog) or text[:60]
    declared = setting.confirm and await flow.loc.present(page, setting.confirm)  # the flow expects this dialog
    if not declared and not mentions(text, (*setting.names, *ACTIONS)):
        raise Failed(
            Reason.SELECTOR_NOT_FOUND,
            f"after switching {setting.label!r}, {flow.title} showed a dialog we did not expect ({title!r}); nothing "
            f"was confirmed. Look with `optout-run -p {flow.name} --headed` and report it",
        )
    button = await confirming_button(page, flow, setting, dialog)
    if button is None:
        raise Failed(
            Reason.SELECTOR_NOT_FOUND,
            f"{flow.title} asked to confirm {setting.label!r} ({title!r}) with no button we recognise as confirming; "
            f"nothing was pressed. Look with `optout-run -p {flow.name} --headed` and report it",
        )
    try:
        await button.click(timeout=flow.loc.timeout_ms)
    except PlaywrightTimeout:
        raise Failed(Reason.TIMEOUT, f"{flow.title}'s confirmation {title!r} did not take the click; try again later") from None


async def confirming_button(page: Page, flow: "Flow", setting: "Setting", dialog: ElementHandle):
    """The dialog's one confirming button: the declared confirm locator first, then the CONFIRM wordings."""
    buttons = await dialog.query_selector_all("button, [role=button], input[type=submit], input[type=button]")
    named = [(b, await accessible_text(b)) for b in buttons]
    named = [(b, t) for b, t in named if t and not destructive(t) and await b.is_visible()]
    for candidate in flow.loc.table.get(setting.confirm, ()) if setting.confirm else ():
        declared = await build(page, candidate).element_handles()
        hits = [b for b, _ in named if any([await b.evaluate("(a, b) => a === b", d) for d in declared])]
        if len(hits) == 1:
            return hits[0]
    for wording in CONFIRM:
        pattern = name_pattern(wording, exact=True, trailing=True)
        hits = [b for b, t in named if pattern.search(t)]
        if len(hits) == 1:
            return hits[0]
    return None


async def accessible_text(button: ElementHandle) -> str:
    label = await button.get_attribute("aria-label")
    return normalize(label or await button.inner_text() or await button.get_attribute("value") or "")


async def dialog_title(dialog: ElementHandle) -> str:
    return " ".join(
        (
            await dialog.evaluate(
                """d => d.getAttribute('aria-label')
                  || (d.getAttribute('aria-labelledby') || '').split(' ').map(id => document.getElementById(id)?.innerText || '').join(' ')
                  || d.querySelector('h1, h2, h3, [role=heading]')?.innerText || ''"""
            )
        ).split()
    )
