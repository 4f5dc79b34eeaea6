"""Subcommand groups of `optout-run`, one module each, and what they share with the main command."""

from __future__ import annotations

import click

import flows
from runner.exitcodes import ExitStatus

# Platform names as a parameter: shown as PLATFORM (a Choice's own metavar wraps mid-name), listed in the help.
PLATFORM = click.Choice(flows.names(), case_sensitive=False)
PLATFORMS_LISTED = f"PLATFORM is one of: {', '.join(flows.names())}."


class UserError(click.ClickException):
    """A one-line error for bad input, config or environment: exit 2, never a traceback."""

    exit_code = ExitStatus.USAGE


def environment():
    """The Environment the command runs in; tests pass their own through `obj`."""
    from runner.env import Environment

    return click.get_current_context().find_object(Environment) or Environment()
