"""Access logs without tokens: reply, unsubscribe, agenda, follow-up, record, sharing and sign-in links carry
signed tokens, and query strings carry answers. The log keeps the route's shape (/r/{token}) and drops the
query. Any path segment shaped like a token of the one signer (bot/core/signing.py: three dot-separated
parts) is replaced, so a new page with a token in its path is covered without being listed here."""

import copy
import logging
import re

TOKEN_SEGMENT = re.compile(r"^[^./]+\.[^./]+\.[^/]+$")


def tokenless(path: str) -> str:
    path = path.split("?", 1)[0]
    return "/".join("{token}" if TOKEN_SEGMENT.match(segment) else segment for segment in path.split("/"))


class TokenlessAccessLog(logging.Filter):
    """For uvicorn's access logger, whose record args are (client, method, path, http version, status)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) >= 3 and isinstance(record.args[2], str):
            record.args = (*record.args[:2], tokenless(record.args[2]), *record.args[3:])
        return True


def uvicorn_log_config() -> dict:
    """uvicorn's own logging set-up, with the filter on its access handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["tokenless"] = {"()": TokenlessAccessLog}
    config["handlers"]["access"]["filters"] = ["tokenless"]
    return config
