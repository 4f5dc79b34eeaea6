"""When a page has settled enough to be read: the page's own pending work done, its declared signals seen.

Single-page apps render placeholders first (unchecked, disabled, busy, skeletons) and the account's real value
later, and some show a cached value for a moment after a reload. So a control is read only when
- the document has loaded and the page has no request, body read or short timer of its own in flight
  (an init script counts them; a timer a timer re-arms over and over is polling, not loading, and is left out),
- the platform's declared `ready` locator is visible and no declared `skeleton` is left ([states] ready),
- the control is enabled, not aria-disabled and not (inside) aria-busy,
and then the value is the same on two readings an animation frame apart (runner/engine.py). Every wait here is
Playwright's own (`wait_for_function` polled on animation frames) and bounded by the run's timeout.
"""

from __future__ import annotations

from playwright.async_api import Locator, Page
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner.locate import Locators

# Installed in every frame before the page's own scripts. Timers longer than SHORT_MS, and timers armed three
# generations deep from timer callbacks (polling loops), are not loading work.
PENDING_WORK = """(() => {
  if (window.__optoutPending) return;
  const SHORT_MS = 2000, MAX_DEPTH = 2;
  const timers = new Map();
  let requests = 0, depth = 0;
  const nativeSet = window.setTimeout, nativeClear = window.clearTimeout;
  window.setTimeout = function (fn, ms, ...args) {
    const delay = Number(ms) || 0;
    if (typeof fn !== "function" || delay > SHORT_MS || depth >= MAX_DEPTH) return nativeSet.call(this, fn, ms, ...args);
    const mine = depth + 1;
    const id = nativeSet.call(this, function (...a) {
      timers.delete(id);
      depth = mine;
      try { return fn.apply(this, a); } finally { depth = 0; }
    }, ms, ...args);
    timers.set(id, mine);
    return id;
  };
  window.clearTimeout = function (id) { timers.delete(id); return nativeClear.call(this, id); };
  const track = (promise) => { requests++; return promise.finally(() => { requests--; }); };
  const nativeFetch = window.fetch;
  if (nativeFetch) window.fetch = function (...a) { return track(nativeFetch.apply(this, a)); };
  for (const method of ["json", "text", "arrayBuffer", "blob"]) {
    const native = Response.prototype[method];
    if (native) Response.prototype[method] = function (...a) { return track(native.apply(this, a)); };
  }
  const nativeSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (...a) {
    requests++;
    this.addEventListener("loadend", () => { requests--; }, { once: true });
    return nativeSend.apply(this, a);
  };
  let quietFrames = 0;
  Object.defineProperty(window, "__optoutPending", {
    value: () => requests + timers.size + (document.readyState === "complete" ? 0 : 1),
  });
  Object.defineProperty(window, "__optoutQuiet", {
    value: () => { quietFrames = window.__optoutPending() ? 0 : quietFrames + 1; return quietFrames >= 2; },
  });
})()"""

QUIET = "() => window.__optoutQuiet ? window.__optoutQuiet() : document.readyState === 'complete'"
PENDING = "() => window.__optoutPending ? window.__optoutPending() : (document.readyState === 'complete' ? 0 : 1)"

# The control and everything around it: enabled, not busy.
CONTROL_READY = """el => !el.disabled && !el.matches(':disabled')
  && el.getAttribute('aria-disabled') !== 'true'
  && !el.closest('[aria-busy="true"]') && !el.querySelector('[aria-busy="true"]')"""


class Unsettled(Exception):
    """The page or the control did not settle within the run's timeout; the detail says which."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


async def page_settled(page: Page, loc: Locators, timeout_ms: float | None = None) -> None:
    """The page's own work is done and its declared ready/skeleton signals agree; raises Unsettled."""
    timeout = timeout_ms or loc.timeout_ms
    try:
        await page.wait_for_function(QUIET, polling="raf", timeout=timeout)
    except PlaywrightTimeout:
        raise Unsettled("the page kept loading") from None
    if loc.ready in loc.table:
        try:
            await loc.any_of(page, loc.ready).filter(visible=True).first.wait_for(timeout=timeout)
        except PlaywrightTimeout:
            raise Unsettled("the page never showed that it is ready") from None
    if loc.skeleton in loc.table:
        try:
            await loc.any_of(page, loc.skeleton).filter(visible=True).first.wait_for(state="detached", timeout=timeout)
        except PlaywrightTimeout:
            raise Unsettled("placeholders stayed on the page") from None


async def control_settled(control: Locator, timeout_ms: float) -> None:
    """The control is enabled and not busy; raises Unsettled when it stays disabled."""
    try:
        handle = await control.element_handle(timeout=timeout_ms)
        await control.page.wait_for_function(f"({CONTROL_READY})", arg=handle, polling="raf", timeout=timeout_ms)
    except PlaywrightTimeout:
        raise Unsettled("the control stayed disabled or busy") from None


async def still_loading(page: Page, loc: Locators) -> bool:
    """Right now, is the page still busy (loading, requests in flight, declared skeletons)? For telling slow from changed."""
    try:
        if await page.evaluate(PENDING):
            return True
        return loc.skeleton in loc.table and await loc.any_of(page, loc.skeleton).filter(visible=True).count() > 0
    except Exception:  # a page mid-navigation cannot answer: it is loading
        return True


async def next_frames(page: Page) -> None:
    """Two animation frames: what a value needs to show it is not a transient one."""
    await page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
