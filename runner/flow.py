"""The contract a platform flow fulfils, filled in from its data: selectors/<name>.toml (runner/sitedata.py).

A flow says how to sign in, where each setting lives, which kind of control it is and which state is opted out.
The engine (runner/engine.py) decides when: it never clicks a setting that already reads opted out, and it only
reports `changed` after reading the setting back from a freshly loaded page. A flow class is its name and a
docstring; the steps (runner/steps.py), control kinds (runner/controls.py), page states (runner/pagestate.py),
subjects (runner/subjects.py) and save signals (runner/saving.py) do the rest.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

from playwright.async_api import Locator, Page, Response
from playwright.async_api import TimeoutError as PlaywrightTimeout

from runner import pagestate, sitedata, steps, subjects
from runner.controls import READERS, Control
from runner.dismiss import Dismissals
from runner.errors import Failed, FlowError, NeedsPerson, NotOffered
from runner.locate import Locators, SelectorNotFound
from runner.results import Reason
from runner.saving import Save, saving


@dataclass(frozen=True)
class Provenance:
    """How a setting is known: `verified` (the platform's own code or help, or automation run against the live
    site) or `assumed`, from which source, as of which date."""

    status: str
    source: str
    on: str


@dataclass(frozen=True)
class Setting:
    """One opt-out: where it lives, which control it is, which state is opted out, and what it costs the user."""

    id: str
    label: str  # as the site words it; "{subject}" where it names the blog/site it is about
    url: str  # the page it lives on
    opted_out: bool | str  # True: on means opted out ("Private account"); False: off ("use my data"); str: a choice
    cost: str  # what switching it costs the user, shown by `optout-run platforms`
    control: Control = Control()
    confirm: str = ""  # locator of a confirmation button that may appear after the change
    save: Save = Save()
    default: bool = True  # run by default; optional settings are switched on in the config
    also_opted_out: tuple[str, ...] = ()  # other choices that are at least as private
    repeats: str = ""  # the [subjects] entry it repeats for (a blog), when it does
    subject: str = ""  # the one blog/site this instance is about, once listed
    app_steps: str = ""  # set when no web page offers the setting: the in-app steps a person follows instead
    not_offered: str = ""  # locator of the page's notice where the setting is not offered (region, plan)
    section: str = ""  # locator of the setting's own row or section: a not-offered notice must sit inside it
    mentions: tuple[str, ...] = ()  # phrases that name this setting in a notice or a dialog ("generative AI")
    provenance: Provenance | None = None
    broken: str = ""  # known not to work on the site now: skipped with an honest result
    open: tuple[dict, ...] = ()  # steps to its page, when not the flow's [open]
    reveal: tuple[dict, ...] = ()  # steps that show the control once the page is open (a row, a modal)
    change: tuple[dict, ...] = ()  # steps that change it, when its kind's writer is not the way

    @classmethod
    def of(cls, spec: dict) -> "Setting":
        offered = spec.get("not_offered", {})
        return cls(
            id=spec["id"],
            label=spec["label"],
            url=spec["url"],
            opted_out=spec["opted_out"],
            cost=spec["cost"],
            control=Control.of(spec["control"]) if spec.get("control") else Control(),
            confirm=spec.get("confirm", ""),
            save=Save.of(spec.get("save", {})),
            default=spec.get("default", True),
            also_opted_out=tuple(spec.get("also_opted_out", ())),
            repeats=spec.get("subject", ""),
            app_steps=spec.get("app_steps", ""),
            not_offered=offered.get("notice", ""),
            section=offered.get("section", ""),
            mentions=tuple(spec.get("mentions", ())),
            provenance=Provenance(**spec["provenance"]),
            broken=spec.get("broken", ""),
            open=tuple(spec.get("open", ())),
            reveal=tuple(spec.get("reveal", ())),
            change=tuple(spec.get("change", ())),
        )

    @property
    def names(self) -> tuple[str, ...]:
        """The phrases that say a notice, a dialog or a section opener is about this setting."""
        return (self.label, *self.mentions)

    @property
    def target(self) -> str:
        return self.control.target

    @property
    def opener(self) -> str:
        """The first thing its reveal steps click (a row that opens the control's pane), if any."""
        return next((s["click"] for s in self.reveal if "click" in s), "")

    @property
    def needs_browser(self) -> bool:
        return not (self.app_steps or self.broken)

    def is_opted_out(self, value: bool | str) -> bool:
        return value == self.opted_out or value in self.also_opted_out

    def for_subject(self, subject: str) -> "Setting":
        """The same setting for one blog/site/publication: the id gains ':subject', templates name it."""
        fill = lambda text: text.replace("{subject}", subject)  # noqa: E731
        return replace(
            self,
            id=f"{self.id}:{subject}",
            subject=subject,
            label=fill(self.label),
            url=fill(self.url),
            save=replace(self.save, url=fill(self.save.url)),
        )


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)
    totp_secret: str = field(default="", repr=False)


class Flow:
    """Base class: a subclass names its platform; its data comes from selectors/<name>.toml when it is defined,
    so a file that breaks the contract (runner/sitedata.py) fails at import, naming the file and the line."""

    name: ClassVar[str]  # registry key and selectors file name
    site: ClassVar[sitedata.Site]
    title: ClassVar[str]
    home_url: ClassVar[str]  # the site's front door, for docs and `platforms`
    sign_in_url: ClassVar[str] = ""  # empty: the platform has no password sign-in (QR, app)
    sign_in_origins: ClassVar[tuple[str, ...]] = ()  # credentials are typed only on these origins
    settings: ClassVar[tuple[Setting, ...]]
    notes: ClassVar[str] = ""  # one line shown by `optout-run platforms`
    caveat: ClassVar[str] = ""  # a sentence every result of this platform ends with (e.g. what no setting can do)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__:
            cls.site = site = sitedata.load(cls.name)
            cls.title = site.flow["title"]
            cls.home_url = site.flow["home_url"]
            cls.sign_in_url = site.flow.get("sign_in_url", "")
            cls.sign_in_origins = tuple(site.flow.get("sign_in_origins", ()))
            cls.notes = site.flow.get("notes", "")
            cls.caveat = site.flow.get("caveat", "")
            cls.settings = tuple(Setting.of(spec) for spec in site.settings)

    @classmethod
    def option_error(cls, options: dict) -> str:
        """Why the [platform.NAME] options cannot work ('' if they can): checked before a browser starts."""
        for key, spec in cls.site.options.items():
            wanted = str(options.get(key, spec["choices"][0])).strip()
            if wanted.casefold() not in {c.casefold() for c in spec["choices"]}:
                listed = " or ".join(f'"{c}"' for c in spec["choices"])
                return f'[platform.{cls.name}] {key} must be {listed}; "{wanted}" is not a choice'
        optional = {s.id for s in cls.settings if not s.default}
        unknown = sorted(set(options.get("optional", [])) - optional)
        if unknown:
            return f"{cls.name}: no optional setting {', '.join(unknown)} (choose from: {', '.join(sorted(optional)) or 'none'})"
        return ""

    def __init__(self, locators: Locators, options: dict | None = None) -> None:
        self.loc = locators
        self.options = options or {}
        self.dismissals = Dismissals(locators)
        ready = self.site.states.get("ready")
        if ready:
            locators.ready, locators.skeleton = ready.marker, ready.skeleton
        self.before_secret = no_trace_kept  # the engine stops and discards its trace here

    def state(self, key: str) -> sitedata.State:
        return self.site.states.get(key, sitedata.State())

    @property
    def signed_out_marker(self) -> str:
        return self.state("signed_out").marker

    @property
    def signed_in_marker(self) -> str:
        return self.state("signed_in").marker

    def values(self, setting: Setting | None = None) -> dict[str, str]:
        """The {variables} steps may use."""
        values = {"sign_in_url": self.sign_in_url, "home_url": self.home_url}
        if setting is not None:
            done = READERS[setting.control.kind].markers(setting.control)
            values.update(
                url=setting.url,
                target=setting.target,
                first=setting.opener or setting.target,
                done=done[0] if done else "",
                not_offered=setting.not_offered,
                subject=setting.subject,
                value=str(setting.opted_out),
            )
        return values

    # -- sign-in ---------------------------------------------------------------------------------

    async def sign_in(self, page: Page, creds: Credentials) -> None:
        """Run the sign-in steps, then judge how it went from the page's state."""
        ctx = steps.Context(self, page, "sign_in", self.values(), creds)
        found = await steps.run(self.site.sign_in, ctx)
        if found is None and ctx.listed:
            raise Failed(
                Reason.TIMEOUT,
                f"{self.title} did not show {' or '.join(ctx.listed)} during sign-in; "
                f"run `optout-run -p {self.name} --headed` to look",
            )
        await pagestate.sign_in_outcome(page, self, creds)

    def check_origin(self, page: Page) -> None:
        origin = pagestate.origin(page.url)
        if origin not in self.sign_in_origins:
            raise Failed(Reason.FOREIGN_ORIGIN, f"the sign-in form is on {origin}, not {self.title}'s own site; nothing was typed")

    def login_hint(self) -> str:
        return f"sign in once yourself with `optout-run login {self.name}`, then run again"

    async def fill(self, page: Page, name: str, value: str) -> None:
        await (await self.loc.find(page, name)).fill(value)

    async def fill_secret(self, page: Page, name: str, secret: str, root: Page | Locator | None = None) -> None:
        """Type a secret only on the platform's own sign-in origin, and keep it out of any error text."""
        self.check_origin(page)
        field_ = await self.loc.find(root or page, name)
        try:
            await field_.fill(secret)
        except PlaywrightTimeout:
            raise Failed(Reason.TIMEOUT, f"the {name} field on {self.title} did not take input") from None

    # -- waiting ---------------------------------------------------------------------------------

    async def wait_for_any(
        self, page: Page, names: list[str], timeout_ms: float | None = None, attached: str = ""
    ) -> str | None:
        """Wait until one of the named markers is visible (`attached`: merely in the DOM, e.g. a control inside a
        collapsed section); return the first listed that is, or None on timeout."""
        names = [n for n in dict.fromkeys(names) if n and n in self.loc.table]
        if not names:
            return None

        def shown(name: str):
            found = self.loc.any_of(page, name)
            return found if name == attached else found.filter(visible=True)

        union = shown(names[0])
        if await union.count():  # usually there already: no wait
            return names[0]
        for name in names[1:]:
            union = union.or_(shown(name))
        try:
            await union.first.wait_for(state="attached", timeout=timeout_ms or self.loc.timeout_ms)
        except PlaywrightTimeout:
            return None
        for name in names:
            if await shown(name).count():
                return name
        return None

    # -- settings --------------------------------------------------------------------------------

    async def settings_for(self, page: Page, wanted: list[Setting]) -> list[Setting]:
        """The concrete settings for this account: the configured options applied, repeated settings listed out."""
        concrete: list[Setting] = []
        for setting in wanted:
            for key, choice in self.chosen().items():
                when = self.site.options[key].get("when", {}).get(choice, {})
                changes = {**when.get("*", {}), **when.get(setting.id, {})}
                if changes:
                    also = tuple(changes.get("also_opted_out", setting.also_opted_out))
                    setting = replace(setting, opted_out=changes.get("opted_out", setting.opted_out), also_opted_out=also)
            if setting.repeats and not setting.subject:
                concrete += await subjects.expand(page, self, setting)
            else:
                concrete.append(setting)
        return concrete

    def chosen(self) -> dict[str, str]:
        """Each declared option's choice, as the data spells it (the first choice unless the config picks another)."""
        picked = {}
        for key, spec in self.site.options.items():
            wanted = str(self.options.get(key, spec["choices"][0])).strip().casefold()
            picked[key] = next((c for c in spec["choices"] if c.casefold() == wanted), spec["choices"][0])
        return picked

    async def open(self, page: Page, setting: Setting) -> str | None:
        """Reach the setting's page; return the marker that showed (its control, a page state) or None."""
        if setting.repeats and not setting.subject:  # before the blogs are known: the page that lists them
            listing = self.site.subjects[setting.repeats]
            route = ({"goto": listing.page, "unless_at": listing.page}, {"wait_for": [listing.marker]})
        else:
            route = setting.open or self.site.open
        return await steps.run(route, steps.Context(self, page, "open", self.values(setting)))

    async def reveal(self, page: Page, setting: Setting) -> None:
        """Show the control where it hides behind a row or a modal."""
        await steps.run(setting.reveal, steps.Context(self, page, "reveal", self.values(setting)))

    async def present(self, page: Page, setting: Setting) -> bool:
        return await READERS[setting.control.kind].present(self, page, setting)

    async def control(self, page: Page, setting: Setting) -> Locator | None:
        """The control the engine waits to be enabled before reading (None: the state shows without one)."""
        return await READERS[setting.control.kind].control(self, page, setting)

    async def read(self, page: Page, setting: Setting) -> bool | str:
        return await READERS[setting.control.kind].read(self, page, setting)

    async def change(self, page: Page, setting: Setting) -> Response | None:
        if setting.change:
            ctx = steps.Context(self, page, "change", self.values(setting))
            return await saving(self, page, setting, lambda: steps.run(setting.change, ctx))
        return await READERS[setting.control.kind].change(self, page, setting)


async def no_trace_kept() -> None:
    """Outside the engine no trace is recorded, so there is none to discard before a secret is typed."""


__all__ = [
    "Credentials",
    "Failed",
    "Flow",
    "FlowError",
    "NeedsPerson",
    "NotOffered",
    "Reason",
    "SelectorNotFound",
    "Setting",
]
