"""Reddit: no AI-training opt-out exists, so the flow hardens what does: search visibility and ad personalization.

Sign-in fields and switches are web components with open shadow roots; Playwright's role and CSS locators
pierce them, so the generic steps work unchanged.
"""

from __future__ import annotations

from runner.flow import Flow, Setting

PRIVACY = "https://www.reddit.com/settings/privacy"
SAVE = "https://www.reddit.com/svc/shreddit/graphql"
CAVEAT = (
    "Reddit offers no AI-training opt-out: public posts and comments cannot be withheld from AI training on Reddit, "
    "which licenses its content to AI companies at platform level."
)


class RedditFlow(Flow):
    """Shadow-DOM sign-in, then search visibility and ad personalization off on /settings/privacy; no AI-training switch exists."""

    name = "reddit"
    title = "Reddit"
    home_url = "https://www.reddit.com/"
    sign_in_url = "https://www.reddit.com/login/"
    sign_in_origins = ("https://www.reddit.com",)
    signed_out_urls = (r"^https://www\.reddit\.com/login",)
    notes = CAVEAT + " This flow turns off search-engine listing and ad personalization instead."
    caveat = CAVEAT  # ends every Reddit result, whatever happened
    settings = (
        Setting(
            id="show_in_search",
            label="Show up in search results",
            url=PRIVACY,
            opted_out=False,
            cost="Search engines like Google stop linking to your profile; people on Reddit still find you.",
            target="show_in_search",
            save_request=SAVE,
        ),
        Setting(
            id="activity_ads",
            label="Personalize ads based on your activity on Reddit",
            url=PRIVACY,
            opted_out=False,
            cost="Ads stop following the communities you join and the posts you read; you see as many ads. "
            "Reddit offers this switch only in some countries.",
            target="activity_ads",
            not_offered="activity_ads_unavailable",  # the Ads section's own notice: not offered in this country
            section="ads_section",
            mentions=("activity on Reddit",),
            save_request=SAVE,
        ),
        Setting(
            id="partner_ads",
            label="Improve ads based on your online activity and information from our partners",
            url=PRIVACY,
            opted_out=False,
            cost="Reddit stops using what advertisers and partners tell it about you; you see as many ads.",
            target="partner_ads",
            save_request=SAVE,
        ),
    )
