"""Control kinds: one reader and one writer per kind of control a setting can be, so flows only name the kind.

- checkbox: Playwright's checked state (a native checkbox, role=checkbox or role=switch),
- switch: aria-checked first (Meta's input[role=switch] keeps it current; the checked property is a fallback),
- radio_group: the label of the checked option; an option is picked by its exact title ("Friends" never picks
  "Friends except..."), through a locator named choice_<words of the title> where the data declares one,
- select: a <select>'s chosen option ("Enabled", "Disabled"),
- menu: a chip that shows its value and opens a menu whose `item` ("Turn off") changes it,
- button_text: a button that shows its value (an audience) and opens a `dialog` of radios, with an optional `apply`,
- action: a one-way button (limit past posts) whose `done` marker shows once it has been done.
A control that must belong to a subject (a blog) proves it (`belongs = "label_ends"`: its label ends in the name).
The writers never decide whether to act: the engine calls them only for a setting that reads exposed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from playwright.async_api import Locator, Page, Response

from runner.errors import Failed
from runner.locate import SelectorNotFound
from runner.results import Reason
from runner.saving import saving
from runner.steps import EVENTS, activate

if TYPE_CHECKING:
    from runner.flow import Flow, Setting

KINDS = ("checkbox", "switch", "radio_group", "select", "menu", "button_text", "action")
KIND_KEYS = {"radio_group": {"also"}, "menu": {"item"}, "button_text": {"dialog", "apply"}, "action": {"done"}}
COMMON_KEYS = {"kind", "target", "belongs", "event"}
BELONGS = ("label_ends",)

# The visible wording of a radio: its <label>, else aria-label, else its own text.
LABEL_OF = "el => (el.labels && el.labels.length ? el.labels[0].innerText : el.getAttribute('aria-label') || el.innerText) || ''"
SELECTED = "el => (el.selectedOptions && el.selectedOptions[0] ? el.selectedOptions[0].label : '')"


@dataclass(frozen=True)
class Companion:
    """A second radio group that must hold `value` for the setting to count as opted out (online follows last seen)."""

    target: str
    value: str
    label: str


@dataclass(frozen=True)
class Control:
    kind: str = "checkbox"
    target: str = ""
    belongs: str = ""
    event: str = ""
    dialog: str = ""
    apply: str = ""
    item: str = ""
    done: str = ""
    also: Companion | None = None

    @classmethod
    def of(cls, spec: dict) -> "Control":
        also = Companion(**spec["also"]) if spec.get("also") else None
        return cls(**{**spec, "also": also})


def check_control(check, where: tuple, spec, names) -> None:
    if not spec:
        return
    kind = spec.get("kind")
    if kind not in KINDS:
        check.fail((*where, "kind"), f"unknown kind {kind!r} (one of: {', '.join(KINDS)})")
    check.keys(where, spec, COMMON_KEYS | KIND_KEYS.get(kind, set()), ("kind", "target"))
    if spec.get("belongs", BELONGS[0]) not in BELONGS:
        check.fail((*where, "belongs"), f"one of: {', '.join(BELONGS)}")
    if spec.get("event", "pointerdown") not in EVENTS:
        check.fail((*where, "event"), f"one of: {', '.join(sorted(EVENTS))}")
    if kind == "button_text" and "dialog" not in spec:
        check.fail(where, "button_text needs the dialog it opens")
    if kind in ("menu", "action") and not spec.get({"menu": "item", "action": "done"}[kind]):
        check.fail(where, f"{kind} needs {'item' if kind == 'menu' else 'done'}")
    if "also" in spec:
        check.keys((*where, "also"), spec["also"], {"target", "value", "label"}, ("target", "value", "label"))
    for name in control_names(spec):
        if name not in names:
            check.fail(where, f"no locator named {name!r}")


def control_names(spec: dict) -> set[str]:
    found = {spec.get(k, "") for k in ("target", "dialog", "apply", "item", "done")}
    if isinstance(spec.get("also"), dict):
        found.add(spec["also"].get("target", ""))
    return found - {""}


def slug(value: str) -> str:
    return "_".join(re.findall(r"[a-z0-9]+", value.casefold()))


class Kind:
    """The checkbox reader and writer; the other kinds change what differs."""

    async def present(self, flow: "Flow", page: Page, setting: "Setting") -> bool:
        return await flow.loc.present(page, setting.control.target)

    async def control(self, flow: "Flow", page: Page, setting: "Setting") -> Locator | None:
        """The control the engine waits to be enabled before reading; proven to be the subject's own where asked."""
        found = await flow.loc.find(page, setting.control.target)
        if setting.control.belongs == "label_ends" and setting.subject:
            own = found.and_(page.get_by_label(re.compile(rf"(^|\s){re.escape(setting.subject)}\s*$")))
            if await own.count() != 1:  # a page that fell back to another blog is never touched
                raise SelectorNotFound(setting.control.target)
            return own
        return found

    def markers(self, control: Control) -> list[str]:
        """What else shows the setting's state when its page opens (besides the control)."""
        return []

    async def read(self, flow: "Flow", page: Page, setting: "Setting") -> bool | str:
        return await (await self.control(flow, page, setting)).is_checked()

    async def change(self, flow: "Flow", page: Page, setting: "Setting") -> Response | None:
        """Press the control (through its label when the input itself is hidden), confirm and save where asked."""
        target = await self.control(flow, page, setting)

        async def shows() -> bool:
            return setting.is_opted_out(await self.read(flow, page, setting))

        return await saving(flow, page, setting, lambda: press(target, setting.control.event), shows=shows)


class Switch(Kind):
    async def read(self, flow, page, setting) -> bool:
        switch = await self.control(flow, page, setting)
        state = await switch.get_attribute("aria-checked")
        if state in ("true", "false"):
            return state == "true"
        return await switch.is_checked()


class RadioGroup(Kind):
    async def read(self, flow, page, setting) -> str:
        """The checked option as worded; with a companion group, opted out only when that one holds its value too."""
        choice = await checked(await self.control(flow, page, setting))
        also = setting.control.also
        if also and setting.is_opted_out(choice):
            other = await checked(await flow.loc.find(page, also.target))
            if other != also.value:
                return f"{choice}, {also.label}: {other or 'unset'}"
        return choice

    async def change(self, flow, page, setting) -> Response | None:
        """Pick the opted-out option, then the companion's value; each pick is its own save."""
        response = None
        try:
            group = await self.control(flow, page, setting)
            if not setting.is_opted_out(await checked(group)):
                response = await choose(flow, page, setting, group, str(setting.opted_out))
            also = setting.control.also
            if also:
                other = await flow.loc.find(page, also.target)
                if await checked(other) != also.value:
                    follow = replace(setting, confirm="")  # the setting's confirmation belongs to its own group
                    response = await choose(flow, page, follow, other, also.value) or response
        except SelectorNotFound as exc:  # the engine only expects Failed from a change
            raise Failed(
                Reason.SELECTOR_NOT_FOUND,
                f"{flow.title} no longer shows {exc.name!r} for {setting.label!r} (an option may be gone or renamed); "
                f"look with `optout-run -p {flow.name} --headed` and report it",
            ) from None
        return response


class Select(Kind):
    async def read(self, flow, page, setting) -> str:
        return " ".join((await (await self.control(flow, page, setting)).evaluate(SELECTED)).split())

    async def change(self, flow, page, setting) -> Response | None:
        element = await self.control(flow, page, setting)

        async def shows() -> bool:
            return setting.is_opted_out(await self.read(flow, page, setting))

        async def pick() -> None:
            await element.select_option(label=str(setting.opted_out))

        return await saving(flow, page, setting, pick, shows=shows)


class ButtonText(Kind):
    async def read(self, flow, page, setting) -> str:
        return " ".join((await (await self.control(flow, page, setting)).inner_text()).split())

    async def change(self, flow, page, setting) -> Response | None:
        """Open the dialog, pick the option (often saved on select), then its apply button when this variant has one."""
        control = setting.control

        async def pick() -> None:
            await activate(await self.control(flow, page, setting), control.event)
            dialog = await flow.loc.find(page, control.dialog)
            await dialog.wait_for(state="visible", timeout=flow.loc.timeout_ms)
            has_apply = bool(control.apply) and await flow.loc.present(dialog, control.apply)  # rendered whole: no wait
            await (await option(flow, dialog, str(setting.opted_out))).click()
            if has_apply:
                await (await flow.loc.find(dialog, control.apply)).click()

        async def shows() -> bool:
            return setting.is_opted_out(await self.read(flow, page, setting))

        try:
            return await saving(flow, page, setting, pick, own_dialog=control.dialog, shows=shows)
        except SelectorNotFound as exc:  # fail this setting only, not the whole account
            raise Failed(
                Reason.SELECTOR_NOT_FOUND,
                f"the {setting.label!r} dialog has no {exc.name!r} any more; {flow.title} may have changed it",
            ) from None


class Menu(ButtonText):
    async def change(self, flow, page, setting) -> Response | None:
        """Open the chip's menu (on the DOM event the site listens to), then its item."""
        control = setting.control

        async def pick() -> None:
            await activate(await self.control(flow, page, setting), control.event)
            await (await flow.loc.find(page, control.item)).click()

        async def shows() -> bool:
            return setting.is_opted_out(await self.read(flow, page, setting))

        return await saving(flow, page, setting, pick, shows=shows)


class Action(Kind):
    """Opted out once its `done` marker shows; the button is gone then, so there is no control to wait for."""

    def markers(self, control: Control) -> list[str]:
        return [control.done]

    async def present(self, flow, page, setting) -> bool:
        return await flow.loc.present(page, setting.control.done) or await super().present(flow, page, setting)

    async def control(self, flow, page, setting) -> Locator | None:
        if await flow.loc.present(page, setting.control.done):
            return None
        return await super().control(flow, page, setting)

    async def read(self, flow, page, setting) -> bool:
        state = await flow.wait_for_any(page, [setting.control.done, setting.control.target])
        if state is None:
            raise SelectorNotFound(setting.control.target)
        return state == setting.control.done

    async def change(self, flow, page, setting) -> Response | None:
        target = await super().control(flow, page, setting)

        async def shows() -> bool:
            return await flow.loc.present(page, setting.control.done)

        return await saving(flow, page, setting, lambda: press(target, setting.control.event), shows=shows)


READERS: dict[str, Kind] = {
    "checkbox": Kind(),
    "switch": Switch(),
    "radio_group": RadioGroup(),
    "select": Select(),
    "menu": Menu(),
    "button_text": ButtonText(),
    "action": Action(),
}


async def checked(group: Locator) -> str:
    """The label of the checked radio in a group ("" if none), with … written as ... like setting values."""
    radios = group.get_by_role("radio", checked=True)
    if await radios.count() != 1:
        return ""
    text = await radios.evaluate(LABEL_OF)
    return " ".join(text.replace("\u2026", "...").split())


async def option(flow: "Flow", root: Locator, value: str) -> Locator:
    """The radio whose title is exactly the value: a declared choice_<words> locator, its role name, or its text."""
    declared = f"choice_{slug(value)}"
    if declared in flow.loc.table:
        return await flow.loc.find(root, declared)
    by_name = root.get_by_role("radio", name=value, exact=True)
    if await by_name.count() == 1:
        return by_name
    by_title = root.get_by_role("radio").filter(has=root.page.get_by_text(value, exact=True))
    if await by_title.count() == 1:
        return by_title
    raise SelectorNotFound(f"option {value!r}")


async def choose(flow: "Flow", page: Page, setting: "Setting", group: Locator, value: str) -> Response | None:
    radio = await option(flow, group, value)

    async def shows() -> bool:
        return await checked(group) == value

    return await saving(flow, page, setting, radio.click, shows=shows)


async def press(control: Locator, event: str = "") -> None:
    """Click a control; a visually hidden input (a styled label over a 1-pixel box) is pressed through its <label>."""
    await activate((await control.evaluate_handle(PRESSABLE)).as_element(), event)


# The element a person would click for this control: itself, or its <label> when the input is hidden or covered by it.
PRESSABLE = """el => {
  const label = (el.labels && el.labels[0]) || el.closest('label');
  if (!label) return el;
  const box = el.getBoundingClientRect(), style = getComputedStyle(el);
  const hidden = box.width < 4 || box.height < 4 || style.opacity === '0' || style.visibility === 'hidden'
    || (style.clipPath && style.clipPath !== 'none') || (style.clip && style.clip !== 'auto');
  if (hidden) return label;
  const top = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
  return !top || top === el || el.contains(top) || !label.contains(top) ? el : label;
}"""
