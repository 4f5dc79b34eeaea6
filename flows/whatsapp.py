"""WhatsApp Web: who can see your last seen and online, profile photo, About and Status (Settings > Privacy).

WhatsApp has no AI-training switch (its "Advanced chat privacy" is per chat); what a browser can do is keep your
personal info away from strangers. There is no password: a browser is linked once by QR code, and the app has one
URL, so every pane is reached by clicking.
"""

from __future__ import annotations

from dataclasses import replace

from playwright.async_api import Locator, Page, Response

from runner.flow import Failed, Flow, NeedsPerson, Reason, SelectorNotFound, Setting

HOME = "https://web.whatsapp.com/"
# WhatsApp Web saves privacy over its encrypted websocket, which no URL glob can match. The replay fixtures stand
# in for it with this POST; on the live site change() finds no such request and lets the read-back decide.
REPLAY_SAVE = "https://web.whatsapp.com/replay-stand-in/ws/privacy"

# The visible wording of a radio: its <label>, else aria-label, else its own text.
LABEL_OF = "el => (el.labels && el.labels.length ? el.labels[0].innerText : el.getAttribute('aria-label') || el.innerText) || ''"

AUDIENCES = ("My contacts", "Nobody")
# An option as the site words it (… written as ...) -> the selector name of its radio inside a choice group.
CHOICES = {
    "Everyone": "choice_everyone",
    "My contacts": "choice_my_contacts",
    "Nobody": "choice_nobody",
    "Same as last seen": "choice_same_as_last_seen",
    "Only share with...": "choice_only_share_with",
}


def _privacy(id: str, label: str, cost: str, **more) -> Setting:
    """One row of "Who can see my personal info": a sub-pane of radio choices, saved on pick."""
    return Setting(
        id=id,
        label=label,
        url=HOME,
        opted_out="My contacts",
        also_opted_out=("My contacts except...", "Nobody"),
        cost=cost,
        target=f"{id}_choices",
        opener=f"{id}_row",
        save_request=REPLAY_SAVE,
        **more,
    )


class WhatsAppFlow(Flow):
    """Clicks Settings > Privacy on WhatsApp Web and picks "My contacts" (or "Nobody") for four audience choices."""

    name = "whatsapp"
    title = "WhatsApp"
    home_url = HOME
    sign_in_url = ""  # QR code or phone-number link only; never a password
    signed_out_marker = "qr_code"
    signed_in_marker = "chat_list"
    notes = (
        "No password: link this browser once by QR code with `optout-run login whatsapp`. WhatsApp has no AI-training "
        'switch; this limits who sees your personal info. [platform.whatsapp] audience = "Nobody" is stricter.'
    )
    settings = (
        _privacy(
            "last_seen",
            "Last seen and online",
            "Only your contacts see when you were last seen, and online follows it ('Same as last seen'); "
            "with Nobody you cannot see anyone else's last seen or online either.",
        ),
        _privacy(
            "profile_photo",
            "Profile photo",
            "People who are not your contacts see a blank picture, so someone new you message may not recognise you.",
        ),
        _privacy("about", "About", "People who are not your contacts no longer see your About line."),
        replace(
            _privacy(
                "status",
                "Status",
                "Usually nothing: WhatsApp only shows Status to contacts and has no 'Everyone'. With audience "
                "Nobody it becomes 'Only share with…' with nobody picked, so your status updates reach no one.",
                confirm="contact_picker_done",  # "Only share with…" first asks whom; Done saves it
            ),
            also_opted_out=("My contacts except...", "Only share with..."),  # both narrower than all contacts
        ),
    )

    # -- which choice counts as opted out ------------------------------------------------------------

    @classmethod
    def option_error(cls, options: dict) -> str:
        wanted = str(options.get("audience", "My contacts"))
        if wanted.casefold() not in {a.casefold() for a in AUDIENCES}:
            return f'[platform.whatsapp] audience = "{wanted}" is not a choice; use "My contacts" or "Nobody"'
        return super().option_error(options)

    def audience(self) -> str:
        wanted = str(self.options.get("audience", "My contacts")).casefold()
        return next(a for a in AUDIENCES if a.casefold() == wanted)

    async def settings_for(self, page: Page, wanted: list[Setting]) -> list[Setting]:
        """Audience "Nobody" tightens every setting; Status has no "Nobody", so it becomes "Only share with" nobody."""
        if self.audience() == "My contacts":
            return wanted
        return [
            replace(s, opted_out="Only share with..." if s.id == "status" else "Nobody", also_opted_out=())
            for s in wanted
        ]

    # -- getting to Settings > Privacy -----------------------------------------------------------

    async def open(self, page: Page, setting: Setting) -> str | None:
        """One URL, no URL per pane: click from wherever the app is (chats, Settings, a sub-pane) to Privacy."""
        if not page.url.startswith(HOME):
            await page.goto(HOME)
        steps = {"chat_list": "settings_button", "settings_pane": "privacy_entry", "drawer_back": "drawer_back"}
        for _ in range(6):
            where = await self.wait_for_any(
                page, ["challenge", self.signed_out_marker, "privacy_pane", "settings_pane", "chat_list", "drawer_back"]
            )
            if where == "challenge":
                raise NeedsPerson(
                    Reason.CHALLENGE,
                    f"{self.title} Web is open in another window, which holds the session; close it there (or click "
                    '"Use here" yourself), then run again',
                )
            if where not in steps:  # Privacy, the QR code, or nothing at all
                return where
            try:
                await (await self.loc.find(page, steps[where])).click()
            except SelectorNotFound:  # reported per setting, by name, when its row cannot be reached
                return None
        return None

    async def reveal(self, page: Page, setting: Setting) -> None:
        """Rows are looked up inside the Privacy pane only: the nav rail has its own "Status" button."""
        pane = await self.loc.find(page, "privacy_pane")
        await (await self.loc.find(pane, setting.opener)).click()

    # -- reading and changing a choice -----------------------------------------------------------

    async def read(self, page: Page, setting: Setting) -> str:
        """The checked option, as worded; last seen also needs online set to follow it, or it is not private."""
        choice = await self._checked(await self.loc.find(page, setting.target))
        if setting.id == "last_seen" and choice != "Everyone":
            online = await self._checked(await self.loc.find(page, "online_choices"))
            if online != "Same as last seen":
                return f"{choice}, online: {online or 'unset'}"
        return choice

    async def change(self, page: Page, setting: Setting) -> Response | None:
        """Pick the audience, then (last seen) make online follow it; each pick is its own save."""
        response = None
        try:
            group = await self.loc.find(page, setting.target)
            if not setting.is_opted_out(await self._checked(group)):
                response = await self._choose(page, setting, group, str(setting.opted_out))
            if setting.id == "last_seen":
                online = await self.loc.find(page, "online_choices")
                if await self._checked(online) != "Same as last seen":
                    follow = replace(setting, confirm="")  # no contact picker for this one
                    response = await self._choose(page, follow, online, "Same as last seen") or response
        except SelectorNotFound as exc:  # the engine only expects Failed from change()
            raise Failed(Reason.SELECTOR_NOT_FOUND, self._missing(setting, exc.name)) from None
        return response

    async def _choose(self, page: Page, setting: Setting, group: Locator, option: str) -> Response | None:
        radio = await self.loc.find(group, CHOICES[option])
        try:
            return await self.saving(page, setting, radio.click)
        except Failed as exc:
            if exc.reason is not Reason.TIMEOUT:
                raise
            return None  # live: the websocket save left no request to wait for; the read-back after reload decides

    def _missing(self, setting: Setting, name: str) -> str:
        return (
            f"{self.title} no longer shows {name!r} for {setting.label!r} (an option may be gone or renamed); "
            f"look with `optout-run -p {self.name} --headed` and report it"
        )

    @staticmethod
    async def _checked(group: Locator) -> str:
        """The label of the checked radio in a group ("" if none), with … written as ... like Setting values."""
        checked = group.get_by_role("radio", checked=True)
        if await checked.count() != 1:
            return ""
        text = await checked.evaluate(LABEL_OF)
        return " ".join(text.replace("\u2026", "...").split())
