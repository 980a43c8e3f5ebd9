"""LOG_FORMAT=json and kv keep the message and the fields passed with `extra=`."""

from __future__ import annotations

import json
import logging

from corridor.core.logs import JsonFormatter, KeyValueFormatter


def _record() -> logging.LogRecord:
    logger = logging.getLogger("corridor.security")
    return logger.makeRecord(
        "corridor.security",
        logging.WARNING,
        __file__,
        1,
        "login failed for %s",
        ("hoa",),
        None,
        extra={"event": "login_failed", "ip": "203.0.113.9"},
    )


def test_json_formatter_one_object_with_extra_fields():
    line = JsonFormatter().format(_record())
    data = json.loads(line)
    assert "\n" not in line
    assert {k: data[k] for k in ("level", "logger", "message", "event", "ip")} == {
        "level": "WARNING",
        "logger": "corridor.security",
        "message": "login failed for hoa",
        "event": "login_failed",
        "ip": "203.0.113.9",
    }


def test_key_value_formatter_quotes_values_with_spaces():
    line = KeyValueFormatter().format(_record())
    assert 'message="login failed for hoa"' in line
    assert "event=login_failed ip=203.0.113.9" in line
