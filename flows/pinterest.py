"""Pinterest: "Use your data to train Pinterest Canvas", a checkbox on Privacy and data that takes effect on "Done"."""

from __future__ import annotations

from runner.flow import Flow


class PinterestFlow(Flow):
    """The GenAI checkbox sits among the ads-personalization checkboxes of one settings form: ticking it saves
    nothing until the form's Done button is pressed, so the run presses it and reads the box back after a reload."""

    name = "pinterest"
