"""Logging set-up: one line per record, as text or as JSON (MAILBOT_LOG_FORMAT=text|json)."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    """`{"time", "level", "logger", "message"[, "error"]}` — one object per line, for log collectors."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
                 "level": record.levelname, "logger": record.name, "message": record.getMessage(),
                 "thread": record.threadName}
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def setup_logging(log_format: str = "text", level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # aiosmtpd logs every connection and command at INFO; mailbot logs one line per mail itself
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    # extract-msg tells at INFO about every property an Outlook file does not have
    logging.getLogger("extract_msg").setLevel(logging.WARNING)
    # pika logs each lost or refused RabbitMQ connection on several ERROR lines with tracebacks,
    # also when dramatiq then reconnects on its own; what fails for good is logged by dramatiq
    # (worker) and mailbot (`broker unavailable …`, `mailbot check`).
    logging.getLogger("pika").setLevel(logging.CRITICAL)
