"""__TITLE__: TEMPLATE (./dev new-platform). Say in one line what this flow switches off and how the site saves it."""

from __future__ import annotations

from runner.flow import Flow


class __CLASS__(Flow):
    """TEMPLATE: one sentence on what is special about __TITLE__'s sign-in or settings page (tests/test_registry.py
    requires a docstring). Everything else is data: selectors/__NAME__.toml."""

    name = "__NAME__"
