"""The explicit registry of platform flows (yt-dlp style): name -> "module:Class", imported only when needed.

Adding a platform: write flows/<name>.py (a class with a name and a docstring), selectors/<name>.toml (its data:
docs/steps.md) and fixtures/<name>/<scenario>/, then add one line here. tests/test_registry.py checks that every
entry has all of them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runner.flow import Flow

REGISTRY: dict[str, str] = {
    "x": "flows.x:XFlow",
    "linkedin": "flows.linkedin:LinkedInFlow",
    "discord": "flows.discord:DiscordFlow",
    "tumblr": "flows.tumblr:TumblrFlow",
    "tiktok": "flows.tiktok:TikTokFlow",
    "reddit": "flows.reddit:RedditFlow",
    "facebook": "flows.facebook:FacebookFlow",
    "instagram": "flows.instagram:InstagramFlow",
    "threads": "flows.threads:ThreadsFlow",
    "whatsapp": "flows.whatsapp:WhatsAppFlow",
    "snapchat": "flows.snapchat:SnapchatFlow",
    "pinterest": "flows.pinterest:PinterestFlow",
}


def names() -> tuple[str, ...]:
    return tuple(REGISTRY)


def load(name: str) -> "type[Flow]":
    module, _, cls = REGISTRY[name].partition(":")
    return getattr(import_module(module), cls)
