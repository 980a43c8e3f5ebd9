"""The one safe writer of CSV and Excel exports. Every export of every app goes through it.

Each cell is made safe the same way in both formats:
- text starting with `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so a
  spreadsheet shows it as text instead of running it as a formula (CSV/formula injection);
- characters XML cannot hold (control characters, lone surrogates) are removed, so one odd
  name cannot make the XLSX file unwritable for everyone;
- numbers, dates and booleans stay typed values; None is an empty cell.

`csv_response(filename, headers, rows)` streams (UTF-8 with a BOM, which Excel needs for Thai or
Khmer); `xlsx_response(filename, headers, rows)` writes a write-only workbook (rows are not
kept in memory). `rows` is any iterable of lists.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.http import HttpResponse, StreamingHttpResponse

from corridor.core.hygiene import clean_text

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# What XML 1.0 cannot hold (openpyxl's ILLEGAL_CHARACTERS_RE, plus lone surrogates).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value: Any) -> str:
    """A text cell: illegal characters removed, a leading formula character neutralised."""
    text = "" if value is None else str(value)
    if text[:1] in _FORMULA_START:
        text = "'" + text
    return _ILLEGAL.sub("", clean_text(text))


def safe_cell(value: Any) -> Any:
    """A cell for the XLSX writer: typed values kept, text through `safe_text`."""
    if value is None:
        return None
    if isinstance(value, bool | int | float | decimal.Decimal):
        return value
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, dt.date):
        return value
    return safe_text(value)


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool | int | float | decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_text(value)


def _attachment(response: HttpResponse, filename: str) -> None:
    safe_name = re.sub(r"[^A-Za-z0-9._-]+", "-", filename) or "export"
    response["Content-Disposition"] = f'attachment; filename="{safe_name}"'
    response["X-Content-Type-Options"] = "nosniff"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_rows(headers: list[str], rows: Iterable[list]) -> Iterator[str]:
    """The CSV text, line by line (first a BOM)."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    yield writer.writerow([_csv_cell(h) for h in headers])
    for row in rows:
        yield writer.writerow([_csv_cell(v) for v in row])


def csv_response(filename: str, headers: list[str], rows: Iterable[list]) -> StreamingHttpResponse:
    """A streamed CSV download."""
    response = StreamingHttpResponse(
        csv_rows(headers, rows), content_type="text/csv; charset=utf-8"
    )
    _attachment(response, filename)
    return response


def xlsx_bytes_into(
    target,
    headers: list[str],
    rows: Iterable[list],
    sheet: str = "Export",
    widths: list[int] | None = None,
) -> None:
    """Write the workbook into `target` (a file or an HttpResponse)."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(re.sub(r"[\\/?*\[\]:']", "", safe_text(sheet))[:31] or "Export")
    for i, width in enumerate(widths or [], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A2"
    ws.append([safe_cell(h) for h in headers])
    for row in rows:
        ws.append([safe_cell(v) for v in row])
    wb.save(target)


def xlsx_response(
    filename: str,
    headers: list[str],
    rows: Iterable[list],
    *,
    sheet: str = "Export",
    widths: list[int] | None = None,
) -> HttpResponse:
    """An Excel (XLSX) download (`widths`: optional column widths, in characters)."""
    response = HttpResponse(content_type=XLSX_TYPE)
    _attachment(response, filename)
    xlsx_bytes_into(response, headers, rows, sheet, widths)
    return response
