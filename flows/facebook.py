"""Facebook: the default audience of future posts (an audience dialog, not a switch) and, optionally, limiting past posts."""

from __future__ import annotations

from dataclasses import replace

from playwright.async_api import Locator, Page, Response

from runner.flow import Failed, Flow, Reason, SelectorNotFound, Setting

POSTS = "https://www.facebook.com/settings/?tab=posts"
FRIENDS, ONLY_ME = "Friends", "Only me"
# Narrower than Friends: switching them "up" to Friends would widen who sees the posts.
NARROWER_THAN_FRIENDS = (ONLY_ME, "Specific friends", "Friends except...")


class FacebookFlow(Flow):
    """Future posts are an audience choice (a str), read from the button text; the opted-out audience is configurable."""

    name = "facebook"
    title = "Facebook"
    home_url = "https://www.facebook.com/"
    sign_in_url = "https://www.facebook.com/login"
    sign_in_origins = ("https://www.facebook.com",)
    signed_out_urls = (r"^https://(www|m)\.facebook\.com/login",)
    challenge_urls = (r"^https://(www|m)\.facebook\.com/checkpoint/",)
    notes = (
        "The opted-out audience is Friends; set [platform.facebook] future_posts = \"Only me\" for the strictest one. "
        "Meta's AI-training objection is a help-centre form, not a setting."
    )
    settings = (
        Setting(
            id="future_posts",
            label="Who can see your future posts?",
            url=POSTS,
            opted_out=FRIENDS,
            also_opted_out=NARROWER_THAN_FRIENDS,
            cost="New posts go to your friends (or only you) instead of the public; you can still pick Public on a single post.",
            target="future_posts",
            save_request="https://www.facebook.com/privacy/selector/update/*",
        ),
        Setting(
            id="limit_past_posts",
            label="Limit the audience for posts you've shared with friends of friends or Public?",
            url=POSTS,
            opted_out=True,
            cost=(
                "Every past post shared with Public or Friends of friends becomes Friends-only at once. "
                "Facebook cannot undo this in bulk: to widen them again you edit each post by hand."
            ),
            target="limit_past_posts",
            confirm="limit_past_posts_confirm",
            mentions=("past posts",),
            save_request="https://www.facebook.com/api/graphql/",
            default=False,
        ),
    )

    @classmethod
    def option_error(cls, options: dict) -> str:
        wanted = str(options.get("future_posts", FRIENDS)).strip()
        if wanted.casefold() not in (FRIENDS.casefold(), ONLY_ME.casefold()):
            return f'[platform.facebook] future_posts must be "Friends" or "Only me", not {wanted!r}'
        return super().option_error(options)

    def audience(self) -> str:
        """The configured opted-out audience; only Friends and Only me are private enough to aim for."""
        wanted = str(self.options.get("future_posts", FRIENDS)).strip().casefold()
        return ONLY_ME if wanted == ONLY_ME.casefold() else FRIENDS

    async def open(self, page: Page, setting: Setting) -> str | None:
        """A limited past-posts row has no button to wait for."""
        if setting.id != "limit_past_posts":
            return await super().open(page, setting)
        if page.url != setting.url:
            await page.goto(setting.url)
        found = await self.wait_for_any(page, [setting.target, "past_posts_limited", self.signed_out_marker, "challenge"])
        return setting.target if found == "past_posts_limited" else found

    async def present(self, page: Page, setting: Setting) -> bool:
        """Limited past posts show a notice where the button was."""
        limited = setting.id == "limit_past_posts" and await self.loc.present(page, "past_posts_limited")
        return limited or await super().present(page, setting)

    async def control(self, page: Page, setting: Setting) -> Locator | None:
        if setting.id == "limit_past_posts" and await self.loc.present(page, "past_posts_limited"):
            return None
        return await super().control(page, setting)

    async def settings_for(self, page: Page, wanted: list[Setting]) -> list[Setting]:
        """Aim future posts at the configured audience: with Only me, Friends no longer counts as opted out."""
        choice = self.audience()
        also = NARROWER_THAN_FRIENDS if choice == FRIENDS else ()
        return [replace(s, opted_out=choice, also_opted_out=also) if s.id == "future_posts" else s for s in wanted]

    async def read(self, page: Page, setting: Setting) -> bool | str:
        """Future posts: the audience the button shows. Past posts: limited once the page says so and the button is gone."""
        if setting.id == "limit_past_posts":
            state = await self.wait_for_any(page, ["past_posts_limited", setting.target])
            if state is None:
                raise SelectorNotFound(setting.target)
            return state == "past_posts_limited"
        button = await self.loc.find(page, setting.target)
        return " ".join((await button.inner_text()).split())

    async def change(self, page: Page, setting: Setting) -> Response | None:
        """Open the audience dialog, pick the radio (saved on select), then Done when this dialog variant has one."""
        if setting.id != "future_posts":
            return await super().change(page, setting)

        async def pick() -> None:
            await (await self.loc.find(page, setting.target)).click()
            dialog = await self.loc.find(page, "audience_dialog")
            await dialog.wait_for(state="visible", timeout=self.loc.timeout_ms)
            has_done = await self.loc.present(dialog, "audience_done")  # the dialog renders whole: no waiting
            await (await self.option(dialog, str(setting.opted_out))).click()
            if has_done:
                await (await self.loc.find(dialog, "audience_done")).click()

        try:
            return await self.saving(page, setting, pick, own_dialog="audience_dialog")
        except SelectorNotFound as exc:  # fail this setting only, not the whole account
            raise Failed(
                Reason.SELECTOR_NOT_FOUND,
                f"the {setting.label!r} audience dialog has no {exc.name!r} any more; Facebook may have changed it",
            ) from None

    async def option(self, dialog: Locator, choice: str) -> Locator:
        """The radio whose title is exactly the choice: "Friends" must not pick "Friends except..." or "Specific friends"."""
        by_name = dialog.get_by_role("radio", name=choice, exact=True)
        if await by_name.count() == 1:
            return by_name
        by_title = dialog.get_by_role("radio").filter(has=dialog.page.get_by_text(choice, exact=True))
        if await by_title.count() == 1:
            return by_title
        raise SelectorNotFound(f"audience option {choice!r}")
