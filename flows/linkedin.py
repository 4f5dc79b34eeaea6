"""LinkedIn: generative-AI training, plus optional partner sharing and research; artdeco switches that save instantly."""

from __future__ import annotations

from runner.flow import Flow, Setting

PREFS = "https://www.linkedin.com/mypreferences/d/settings"
# Save endpoint path assumed: the reference only infers an instant save.
SAVE = "https://www.linkedin.com/mypreferences/d/api/settings"


class LinkedInFlow(Flow):
    """Artdeco switches on mypreferences pages; a region without the AI setting is not_offered, not a failure."""

    name = "linkedin"
    title = "LinkedIn"
    home_url = "https://www.linkedin.com/"
    sign_in_url = "https://www.linkedin.com/login"
    sign_in_origins = ("https://www.linkedin.com",)
    signed_out_urls = (r"^https://www\.linkedin\.com/(login|uas/login|authwall)",)
    challenge_urls = (r"^https://www\.linkedin\.com/checkpoint/challenges?(V2)?/",)
    notes = "Regions where LinkedIn does not offer the AI setting are reported compliant (not_offered)."
    settings = (
        Setting(
            id="ai_training",
            label="Use my data for training content creation AI models",
            url=f"{PREFS}/data-for-ai-improvement",
            opted_out=False,
            cost="None in the app: LinkedIn's AI writing tools keep working; LinkedIn stops training them on your "
            "profile, posts and activity from now on (training already done is not undone).",
            target="ai_training",
            not_offered="not_offered",
            section="ai_section",
            # Not "generative AI" alone: the neighbouring personalization switch and its features say that too, and a
            # "not available in your region" footnote about them must not pass for this setting's notice
            # (fixtures/linkedin/drift-region-footnote).
            mentions=("Generative AI Improvement", "AI model", "train"),
            save_request=f"{SAVE}/data-for-ai-improvement",
        ),
        Setting(
            id="partner_sharing",
            label="Share data with select partners",
            url=f"{PREFS}/share-data-with-select-partners",
            opted_out=False,
            cost="LinkedIn's selected partners stop receiving your data; what they show you may be less tailored.",
            target="partner_sharing",
            save_request=f"{SAVE}/share-data-with-select-partners",
            default=False,
        ),
        Setting(
            id="academic_research",
            label="Make my data available for social, economic, and workplace research",
            url=f"{PREFS}/policy-and-academic-research",
            opted_out=False,
            cost="Outside researchers no longer get your data for policy and academic studies; nothing changes for you.",
            target="academic_research",
            save_request=f"{SAVE}/policy-and-academic-research",
            default=False,
        ),
    )
