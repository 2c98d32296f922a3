"""Access logs without tokens: reply, unsubscribe, agenda and sign-in links carry signed tokens, and query
strings carry answers. The log keeps the route's shape (/r/{token}) and drops the query."""

import copy
import logging
import re

TOKEN_PATH = re.compile(r"^/(r|u|a|dashboard/s)/[^/?]+")


def tokenless(path: str) -> str:
    path = path.split("?", 1)[0]
    return TOKEN_PATH.sub(lambda m: f"/{m.group(1)}/{{token}}", path)


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
