"""How the hub's commands write their log: plain lines or one JSON object a line (CALENDAR_HUB_LOG_FORMAT=json).

A record may carry fields of its own in `extra` (the refresh's line carries `refresh`, a dict of its figures);
the JSON form gives them as keys of the object, so a log collector needs no parsing of the message.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

__all__ = ["FIELDS", "JsonFormatter", "configure"]

FIELDS = ("refresh",)   # the `extra` keys whose dict is spread into the JSON object
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the record's fields, any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
        }
        for name in FIELDS:
            values = getattr(record, name, None)
            if isinstance(values, dict):
                line.update({key: value for key, value in values.items() if key not in line})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(*, verbose: bool, form: str, interactive: bool) -> None:
    """Log to standard error, INFO and up when `verbose`, else WARNING and up, but for the refresh's one line per
    feed, which a service's log gets at INFO (on a terminal, `refresh` prints its table instead). Like
    `logging.basicConfig`, it leaves a root logger that already has handlers (an embedding program's) as it is."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if form == "json" else logging.Formatter(TEXT_FORMAT))
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, handlers=[handler])
    logging.getLogger("calendar_hub.refresh").setLevel(
        logging.INFO if verbose or not interactive else logging.WARNING)
