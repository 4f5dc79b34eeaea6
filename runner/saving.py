"""Save signals: how a run knows a change was saved before it reloads the page to read the setting back.

A setting's `save` says which signal its site gives (docs/steps.md):
- request: the non-GET request to a URL glob the page sends; its answer is kept (a refusal is named in the detail),
- toast: a named status or toast locator shows ("Settings saved"),
- control: the control shows the new value and the page's own work settles; a site that saves over a websocket
  (WhatsApp) leaves nothing else to see, so when that does not happen in time the read-back after the reload decides,
- reload (the default): the page's own work settles; a page that never settles is a timeout.
`button` names a Save button the form needs after the change. Whatever the signal, only the read-back after the
reload makes a result `changed`.
"""

from __future__ import annotations

import asyncio
import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING, Awaitable, Callable

from playwright.async_api import Error as PlaywrightError, Page, Response
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner import confirm
from runner.errors import Failed
from runner.locate import SelectorNotFound
from runner.results import Reason
from runner.settle import Unsettled, next_frames, page_settled

if TYPE_CHECKING:
    from runner.flow import Flow, Setting

SIGNALS = {"request": ("url",), "toast": ("marker",), "control": (), "reload": ()}


@dataclass(frozen=True)
class Save:
    signal: str = "reload"
    url: str = ""  # request: a URL glob
    marker: str = ""  # toast: the locator of the status text
    button: str = ""  # a Save button pressed after the change

    @classmethod
    def of(cls, spec: dict) -> "Save":
        return cls(**spec)


def check_save(check, where: tuple, spec, names) -> None:
    check.keys(where, spec, {"signal", "url", "marker", "button"})
    signal = spec.get("signal", "reload")
    if signal not in SIGNALS:
        check.fail((*where, "signal"), f"unknown signal {signal!r} (one of: {', '.join(SIGNALS)})")
    for key in SIGNALS[signal]:
        if not spec.get(key):
            check.fail(where, f"signal {signal!r} needs {key}")
    for key in ("marker", "button"):
        if key in spec:
            check.name_of((*where, key), spec[key], names)


async def saving(
    flow: "Flow",
    page: Page,
    setting: "Setting",
    action: Callable[[], Awaitable[None]],
    own_dialog: str = "",
    shows: Callable[[], Awaitable[bool]] | None = None,
) -> Response | None:
    """Run `action`, answer a confirmation, press Save where the page has one, and wait for the save signal.

    own_dialog: the locator of a dialog the action opens itself (an audience picker), which is no confirmation.
    shows: whether the control shows the new value now (the `control` signal). Returns the save response, if any.
    """
    save = setting.save
    waiter = None
    if save.signal == "request":
        waiter = asyncio.ensure_future(
            page.wait_for_event(
                "response",
                lambda r: r.request.method != "GET" and fnmatch.fnmatchcase(r.url, save.url),
                timeout=flow.loc.timeout_ms,
            )
        )
    elif save.signal == "toast":
        toast = flow.loc.any_of(page, save.marker).filter(visible=True).first
        waiter = asyncio.ensure_future(toast.wait_for(timeout=flow.loc.timeout_ms))
    elif save.signal == "control":  # also ends the wait for a confirmation, like a save request would
        waiter = asyncio.ensure_future(showing(page, flow, shows))
    try:
        await flow.dismissals.sweep(page)  # locator handlers cover locator actions; a press may use an element
        await confirm.remember_dialogs(page)
        await action()
        if own_dialog:
            await confirm.remember_own(flow.loc.any_of(page, own_dialog))
        # With a Save button the signal comes only after the press: the confirmation wait must not wait for it.
        await confirm.answer(page, flow, setting, None if save.button else waiter)
        if save.button:
            await (await flow.loc.find(page, save.button)).click()
        if save.signal == "control":
            await waiter
            try:
                await page_settled(page, flow.loc)
            except Unsettled:
                pass  # the read-back after the reload decides
            return None
        if waiter is None:
            await page_settled(page, flow.loc)
            return None
        response = await waiter
        return response if save.signal == "request" else None
    except (PlaywrightTimeout, Unsettled):
        raise Failed(Reason.TIMEOUT, f"{flow.title} did not save {setting.label!r} in time; try again later") from None
    finally:
        if waiter is not None and not waiter.done():
            waiter.cancel()
            waiter.add_done_callback(lambda f: f.cancelled() or f.exception())


async def showing(page: Page, flow: "Flow", shows: Callable[[], Awaitable[bool]] | None) -> None:
    """Until the control shows its new value, looked at once a frame; bounded, never decisive (returns either way)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + flow.loc.timeout_ms / 1000
    while shows is not None and loop.time() < deadline:
        try:
            if await shows():
                return
            await next_frames(page)
        except (SelectorNotFound, PlaywrightError):  # re-rendering or navigating: look again once it has loaded
            try:
                await page.wait_for_load_state(timeout=max(1.0, deadline - loop.time()) * 1000)
            except PlaywrightError:
                return
