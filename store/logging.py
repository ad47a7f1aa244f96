"""Structured logging (structlog) for the CLI, the loaders and the API."""
import logging
import sys

import structlog

from store.redaction import RedactingFilter, redact_rendered
from store.settings import log_settings


def configure_logging() -> None:
    settings = log_settings()
    level = logging.getLevelName(settings.log_level.upper())
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
    for handler in logging.getLogger().handlers:  # uvicorn's access log writes whole URLs
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    # Alembic narrates every migration step at INFO; keep its warnings only.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # Tracebacks are plain text: a rich traceback with local variables runs to hundreds of KB and
    # seconds of rendering, which an error handler on the event loop must never spend.
    renderers = ([structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
                 if settings.log_json else
                 [structlog.dev.ConsoleRenderer(colors=False, exception_formatter=structlog.dev.plain_traceback)])
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            *renderers,
            redact_rendered,  # keys and passwords never reach a log (store/redaction.py)
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
