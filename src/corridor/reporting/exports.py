"""The one place the reporting app writes CSV/XLSX (core.exports once it lands)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _safe(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    text = _ILLEGAL.sub("", str(value))
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text  # a spreadsheet would run it as a formula
    return text


def csv_response(filename: str, headers: list[str], rows: Iterable[list[Any]]) -> HttpResponse:
    try:
        from corridor.core.exports import csv_response as shared  # type: ignore[import-not-found]
    except ImportError:
        shared = None
    if shared is not None:
        return shared(filename, headers, rows)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # Excel reads UTF-8 (Thai, Khmer...) only with a BOM
    writer = csv.writer(response)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_safe(v) for v in row])
    return response


def xlsx_response(filename: str, headers: list[str], rows: Iterable[list[Any]]) -> HttpResponse:
    try:
        from corridor.core.exports import xlsx_response as shared  # type: ignore[import-not-found]
    except ImportError:
        shared = None
    if shared is not None:
        return shared(filename, headers, rows)
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("reports")
    ws.append(headers)
    for row in rows:
        ws.append([_safe(v) for v in row])
    response = HttpResponse(
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    wb.save(response)
    return response
