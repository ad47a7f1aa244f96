"""Secrets out of every log line: API keys and credentials are redacted wherever they appear —
a query string (uvicorn's access log writes the whole URL), a header echoed in an error, a
traceback — before a line is written (store/logging.py applies this to structlog's rendered lines
and to the standard library's records, uvicorn's included)."""
from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"
# kindmap's own keys (store/keys.py: km_<prefix>_<secret>): the prefix names the key, kept.
KINDMAP_KEY = re.compile(r"\bkm_([0-9a-f]{1,16})_[A-Za-z0-9_\-]+")
# a credential in a header (Authorization: Bearer …, X-API-Key: …, as text or a dict's repr)
HEADER = re.compile(r"(?i)\b(authorization|x-api-key|proxy-authorization|cookie)(['\"]?\s*[:=,]\s*b?['\"]?)"
                    r"((?:bearer|basic)\s+)?[^'\"\s,;}&]+")
BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{8,}")
# a credential in a query string or form: ?api_key=…, &token=…, password=…
PARAMETER = re.compile(r"(?i)([?&;\s]|^)((?:api[_-]?key|key|token|access_token|password|secret)=)[^&\s\"']*")
# a password in a database URL (postgresql://user:secret@host)
URL_PASSWORD = re.compile(r"(://[^:/@\s]+:)[^@\s]+@")


def redact(text: str) -> str:
    text = KINDMAP_KEY.sub(rf"km_\1_{REDACTED}", text)
    text = HEADER.sub(rf"\1\2\3{REDACTED}", text)
    text = BEARER.sub(rf"\1 {REDACTED}", text)
    text = PARAMETER.sub(rf"\1\2{REDACTED}", text)
    return URL_PASSWORD.sub(rf"\1{REDACTED}@", text)


def redact_rendered(logger, method_name, rendered):
    """The last structlog processor: the rendered line (console or JSON), redacted."""
    return redact(rendered) if isinstance(rendered, str) else rendered


class RedactingFilter(logging.Filter):
    """On the root handlers: a standard-library record (uvicorn's access log, SQLAlchemy's,
    a library's warning) is formatted once, redacted, and written so."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, ()
        return True
