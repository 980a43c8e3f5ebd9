"""Exports of the reporting app: through the one safe writer, core.exports."""

from corridor.core.exports import csv_response, xlsx_response

__all__ = ["csv_response", "xlsx_response"]
