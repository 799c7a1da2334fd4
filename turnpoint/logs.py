"""Log formatting: one event, one line (security.md SEC-22, ASVS 16.4.1).

A request path or a typed value can carry CR, LF or other control characters; written as they
are, they could forge log lines or hide one. `SafeFormatter` writes them as escapes
(`\\r`, `\\n`, `\\x1b`) in the message; a traceback that follows keeps its own line breaks."""

import logging
import re

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class SafeFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)
