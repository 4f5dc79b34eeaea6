"""The step language (docs/steps.md): the ordered steps in selectors/ that sign in, reach a setting's page or change a
setting, and the one interpreter that runs them.

A step is a one-line table with one action (goto, click, fill, fill_secret, press, wait_for, route, expand, dismiss,
select, if) and its modifiers. Steps only move around the page: reading a setting, deciding whether to act, the
confirmation, the save and the read-back after a reload stay with the engine, whatever the steps say.

A `wait_for` also waits for the page states that end the phase (signed out or a challenge while a setting's page
opens; 2FA or a challenge during sign-in). When one of those (or nothing) appears instead of what the step names,
the list stops there and the caller judges what the page is (runner/pagestate.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import structlog
from playwright.async_api import Locator, Page

from runner import expand
from runner.errors import NeedsPerson
from runner.locate import SelectorNotFound
from runner.results import Reason

if TYPE_CHECKING:
    from runner.flow import Credentials, Flow

log = structlog.get_logger("optout.steps")

# action -> the modifiers it takes besides `optional`
ACTIONS: dict[str, set[str]] = {
    "goto": {"unless_at"},
    "click": {"within", "event", "unless"},
    "fill": {"with", "within"},
    "fill_secret": {"with", "within"},
    "press": {"on"},
    "wait_for": {"attached"},
    "route": {"via"},
    "expand": {"within"},
    "dismiss": set(),
    "select": {"option", "within", "unless"},
    "if": {"then", "else"},
}
ACCOUNT = {"username"}  # what `fill` may type: from the account
SECRETS = {"password", "totp"}  # what `fill_secret` may type: from the keyring, never logged
EVENTS = {"pointerdown", "mousedown"}  # menus that open on one DOM event, not a whole click
ARIA = {"selected": "aria-selected", "checked": "aria-checked", "expanded": "aria-expanded", "pressed": "aria-pressed"}
VARIABLES = {"url", "first", "done", "not_offered", "target", "subject", "value", "sign_in_url", "home_url"}
ROUTE_ROUNDS = 6  # clicks a route may take before it gives up

# How a setting's page is reached when the data says nothing else: load its URL, wait for its first control.
DEFAULT_OPEN = (
    {"goto": "{url}"},
    {"wait_for": ["{first}", "{done}", "{not_offered}"], "attached": "{first}"},
)


class Stop(Exception):
    """A wait ended on a page state or on nothing: the rest of the list does not apply."""


@dataclass
class Context:
    """What one run of a step list works on, and what its last wait found."""

    flow: "Flow"
    page: Page
    phase: str  # "sign_in", "open" or "change": which page states end a wait
    values: dict[str, str] = field(default_factory=dict)  # the {variables} of templates
    creds: "Credentials | None" = None
    found: str | None = None
    listed: tuple[str, ...] = ()  # what the last wait_for named

    def fill_in(self, template: str) -> str:
        return template.format_map(self.values) if "{" in template else template

    def interrupting(self) -> list[str]:
        """The markers of the page states that end a wait in this phase."""
        states = self.flow.site.states
        keys = {"sign_in": ("two_factor", "challenge"), "open": ("signed_out", "challenge")}.get(self.phase, ())
        return [states[k].marker for k in keys if k in states and states[k].marker]


async def run(steps, ctx: Context) -> str | None:
    """Run a list of steps; return the marker the last wait found (None: it timed out)."""
    try:
        for step in steps:
            await one(step, ctx)
    except Stop:
        pass
    return ctx.found


async def one(step: dict, ctx: Context) -> None:
    action = next(a for a in ACTIONS if a in step)
    log.debug("step", action=action, name=step[action] if action != "if" else step["if"])  # names only, never values
    try:
        if await skipped(step, action, ctx):
            return
        await ACT[action](step, ctx)
    except SelectorNotFound:
        if not step.get("optional"):
            raise


async def skipped(step: dict, action: str, ctx: Context) -> bool:
    """`unless`: the step's own element is already aria-selected/-checked/-expanded/-pressed, or a marker shows."""
    unless = step.get("unless")
    if not unless:
        return False
    if unless in ARIA:
        element = await element_of(step, action, ctx)
        return await element.get_attribute(ARIA[unless]) == "true"
    return await visible(ctx, unless)


async def root_of(step: dict, ctx: Context) -> Page | Locator:
    return await ctx.flow.loc.find(ctx.page, step["within"]) if step.get("within") else ctx.page


async def element_of(step: dict, action: str, ctx: Context) -> Locator:
    return await ctx.flow.loc.find(await root_of(step, ctx), ctx.fill_in(step[action]))


async def visible(ctx: Context, name: str) -> bool:
    loc = ctx.flow.loc
    return name in loc.table and await loc.any_of(ctx.page, name).filter(visible=True).count() > 0


async def goto(step: dict, ctx: Context) -> None:
    """Load a URL unless the page is already there (exactly, or under the `unless_at` prefix)."""
    url, page = ctx.fill_in(step["goto"]), ctx.page
    prefix = ctx.fill_in(step.get("unless_at", ""))
    if (page.url.startswith(prefix) if prefix else page.url == url):
        return
    await page.goto(url)


async def click(step: dict, ctx: Context) -> None:
    await activate(await element_of(step, "click", ctx), step.get("event", ""))


async def activate(element, event: str = "") -> None:
    """A click, or only the one DOM event a site listens to (a full click would close the menu that event opened)."""
    if event:
        await element.dispatch_event(event, {"button": 0, "isPrimary": True, "pointerType": "mouse"})
    else:
        await element.click()


async def fill(step: dict, ctx: Context) -> None:
    """Type an account value (the user name): found first, then only on the platform's own sign-in origin."""
    element = await element_of(step, "fill", ctx)
    ctx.flow.check_origin(ctx.page)
    await element.fill(getattr(require_creds(ctx), step["with"]))


async def fill_secret(step: dict, ctx: Context) -> None:
    """Type a secret; after sign-in the trace is stopped and discarded first, since traces record what is typed."""
    creds = require_creds(ctx)
    if ctx.phase != "sign_in":
        await ctx.flow.before_secret()
    if step["with"] == "totp":
        import pyotp

        secret = pyotp.TOTP(creds.totp_secret).now()
    else:
        secret = creds.password
    await ctx.flow.fill_secret(ctx.page, ctx.fill_in(step["fill_secret"]), secret, root=await root_of(step, ctx))


def require_creds(ctx: Context) -> "Credentials":
    if ctx.creds is None:
        flow = ctx.flow
        raise NeedsPerson(Reason.NO_CREDENTIALS, f"{flow.title} asks for the password here; {flow.login_hint()}")
    return ctx.creds


async def press(step: dict, ctx: Context) -> None:
    key = step["press"]
    if step.get("on"):
        await (await ctx.flow.loc.find(ctx.page, step["on"])).press(key)
    else:
        await ctx.page.keyboard.press(key)


async def wait_for(step: dict, ctx: Context) -> None:
    """Wait for the first of the named markers or of this phase's page states; stop the list unless a named one came."""
    names = [n for n in (ctx.fill_in(n) for n in step["wait_for"]) if n]
    listed = names + [m for m in ctx.interrupting() if m not in names]
    ctx.found = await ctx.flow.wait_for_any(ctx.page, listed, attached=ctx.fill_in(step.get("attached", "")))
    ctx.listed = tuple(names)
    if ctx.found not in names:
        raise Stop


async def route(step: dict, ctx: Context) -> None:
    """Click from wherever an app is (one URL, many panes) to the pane `route` names: each waypoint says what to click."""
    goal, via = step["route"], step["via"]
    states = list(reversed(ctx.interrupting()))  # a blocking state first: it may cover a waypoint that still shows
    for _ in range(ROUTE_ROUNDS):
        ctx.found = where = await ctx.flow.wait_for_any(ctx.page, [*states, goal, *via])
        ctx.listed = (goal,)
        if where == goal:
            return
        if where not in via:
            raise Stop
        try:
            await (await ctx.flow.loc.find(ctx.page, via[where])).click()
        except SelectorNotFound:  # reported per setting, by name, when its control cannot be reached
            break
    ctx.found = None
    raise Stop


async def expand_step(step: dict, ctx: Context) -> None:
    """Open the collapsed sections (<details>, aria-expanded) around a control that is in the page but hidden."""
    await expand.open_ancestors(await element_of(step, "expand", ctx))


async def dismiss(step: dict, ctx: Context) -> None:
    """Answer the declared overlays (runner/dismiss.py) that show now, before the next step."""
    await ctx.flow.dismissals.sweep(ctx.page)


async def select(step: dict, ctx: Context) -> None:
    element = await element_of(step, "select", ctx)
    await element.select_option(label=ctx.fill_in(step["option"]))


async def if_step(step: dict, ctx: Context) -> None:
    """On the marker the last wait found (when it named this one), else on whether the marker shows now."""
    name = step["if"]
    holds = ctx.found == name if name in ctx.listed else await visible(ctx, name)
    for inner in step.get("then" if holds else "else", ()):
        await one(inner, ctx)


ACT = {
    "goto": goto,
    "click": click,
    "fill": fill,
    "fill_secret": fill_secret,
    "press": press,
    "wait_for": wait_for,
    "route": route,
    "expand": expand_step,
    "dismiss": dismiss,
    "select": select,
    "if": if_step,
}


# -- checked at load ------------------------------------------------------------------------------------------------


def check_steps(check, where: tuple, steps, names) -> None:
    """Each step has one known action, known modifiers and values that make sense; every locator it names exists."""
    if not isinstance(steps, (list, tuple)):
        check.fail(where, "must be a list of steps")
    for i, step in enumerate(steps):
        at = (*where, i)
        if not isinstance(step, dict):
            check.fail(at, "a step is a table such as { click = \"name\" }")
        actions = [a for a in ACTIONS if a in step]
        if len(actions) != 1:
            found = ", ".join(actions) or ", ".join(step) or "nothing"
            check.fail(at, f"a step has exactly one action of {', '.join(ACTIONS)} (found: {found})")
        action = actions[0]
        for key in step:
            if key not in ACTIONS[action] | {action, "optional"}:
                check.fail((*at, key), f"unknown for {action} (it takes: {', '.join(sorted(ACTIONS[action] | {'optional'}))})")
        for key, value in step.items():
            if isinstance(value, str):
                unknown = set(re.findall(r"\{(\w+)\}", value)) - VARIABLES
                if unknown:
                    check.fail((*at, key), f"unknown variable {{{sorted(unknown)[0]}}} (known: {', '.join(sorted(VARIABLES))})")
        if action == "fill" and step.get("with") not in ACCOUNT:
            check.fail((*at, "with"), f"fill types one of: {', '.join(sorted(ACCOUNT))} (secrets use fill_secret)")
        if action == "fill_secret" and step.get("with") not in SECRETS:
            check.fail((*at, "with"), f"fill_secret types one of: {', '.join(sorted(SECRETS))}")
        if "event" in step and step["event"] not in EVENTS:
            check.fail((*at, "event"), f"one of: {', '.join(sorted(EVENTS))}")
        if action == "dismiss" and step["dismiss"] != "overlays":
            check.fail((*at, "dismiss"), 'dismiss = "overlays" (the declared overlays that show now)')
        if action == "select" and "option" not in step:
            check.fail(at, "select needs option")
        if action == "route" and not isinstance(step.get("via"), dict):
            check.fail(at, "route needs via = { waypoint = \"what to click there\" }")
        if action == "if":
            check_steps(check, (*at, "then"), step.get("then", []), names)
            check_steps(check, (*at, "else"), step.get("else", []), names)
        for name in names_in([step], deep=False):
            if name not in names:
                check.fail((*at, action), f"no locator named {name!r}")


def names_in(steps, deep: bool = True) -> list[str]:
    """Every locator name a list of steps uses (templates such as {first} are the engine's to fill in)."""
    found: list[str] = []
    for step in steps:
        action = next((a for a in ACTIONS if a in step), "")
        if action in ("click", "fill", "fill_secret", "expand", "select", "if"):
            found.append(step[action])
        if action == "wait_for":
            found += list(step["wait_for"]) + ([step["attached"]] if step.get("attached") else [])
        if action == "route":
            found += [step["route"], *step.get("via", {}), *step.get("via", {}).values()]
        found += [step[k] for k in ("within", "on") if step.get(k)]
        if step.get("unless") and step["unless"] not in ARIA:
            found.append(step["unless"])
        if deep and action == "if":
            found += names_in(step.get("then", ())) + names_in(step.get("else", ()))
    return [n for n in found if isinstance(n, str) and n and "{" not in n]
