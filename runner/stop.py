"""Ctrl-C, SIGTERM and SIGHUP end a run in order: what finished is reported and kept, the rest is `interrupted`.

One handler for the whole process. Before and after the browser phase a signal raises `Interrupted` (a
BaseException, so no `except Exception` swallows it, and not KeyboardInterrupt, which click turns into
"Aborted!" and exit 1). While jobs run it only cancels them from the event loop: each account closes its
context and reports its unfinished settings as interrupted. A second signal ends the process at once.
A signal the process was started with ignored (`nohup`, a background job) stays ignored.
"""

from __future__ import annotations

import asyncio
import os
import signal

from runner.exitcodes import ExitStatus

SIGNALS = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP (the terminal went away)"}


class Interrupted(BaseException):
    """A signal outside the browser phase; main() turns it into its exit status and one line."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def exit_status(signum: int) -> ExitStatus:
    return ExitStatus(128 + signum)


def describe(signum: int) -> str:
    return SIGNALS.get(signum, signal.Signals(signum).name)


class Stop:
    """The process's stop request: which signal came, and the running jobs it cancels."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: list[asyncio.Task] = []
        self.deferred = False  # from the browser's start to the end of the report, a signal never raises

    @property
    def requested(self) -> bool:
        return self.signum is not None

    def install(self) -> None:
        for signum in SIGNALS:
            if signal.getsignal(signum) is not signal.SIG_IGN:
                signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame) -> None:
        if self.signum is not None:  # the second signal: no more waiting for anything
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        self.signum = signum
        if not self.deferred:
            raise Interrupted(signum)
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._cancel)

    def enter_loop(self) -> None:
        """From here a signal is answered by cancelling the jobs, never by an exception at a random line."""
        self.loop, self.deferred = asyncio.get_running_loop(), True

    def watch(self, tasks: list[asyncio.Task]) -> None:
        """The jobs a stop cancels; a stop that came while the browser started cancels them at once."""
        self.tasks = tasks
        if self.requested:
            self._cancel()

    def _cancel(self) -> None:
        for task in self.tasks:
            task.cancel()

    def leave_loop(self) -> None:
        """The loop is gone; a signal now is only noted (the report still prints, then the status says so)."""
        self.loop, self.tasks = None, []


STOP = Stop()
