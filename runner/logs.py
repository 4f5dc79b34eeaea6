"""structlog to stderr: console on a terminal, JSON otherwise; secrets redacted by key; no local variables ever."""

from __future__ import annotations

import logging
import re
import sys

import structlog
from structlog.dev import ConsoleRenderer, plain_traceback
from structlog.processors import ExceptionRenderer, JSONRenderer
from structlog.stdlib import ProcessorFormatter
from structlog.tracebacks import ExceptionDictTransformer

SECRET_KEYS = re.compile(r"pass(word)?|secret|token|cookie|authorization|storage_state|totp|otp|session", re.I)


def redact(_logger, _name, event: dict) -> dict:
    for key in list(event):
        if SECRET_KEYS.search(key):
            event[key] = "[REDACTED]"
    return event


def configure(json_logs: bool, level: int = logging.WARNING, stream=None) -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    if json_logs:
        renderer = [ExceptionRenderer(ExceptionDictTransformer(show_locals=False)), JSONRenderer()]
    else:
        # plain_traceback: the rich formatter's default shows local variables, i.e. passwords.
        renderer = [ConsoleRenderer(exception_formatter=plain_traceback, colors=False)]
    structlog.configure(
        processors=[*shared, ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        ProcessorFormatter(foreign_pre_chain=shared, processors=[ProcessorFormatter.remove_processors_meta, *renderer])
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
