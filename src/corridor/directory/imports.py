"""Staff import of clusters, SMEs, buyers and products from CSV or Excel: parse, check, write.

Three steps, each a plain function: `parse_file` turns an upload into rows of text,
`validate_rows` checks every row against the vocabularies and the database and returns a
row-by-row report, and `import_rows` re-checks and writes everything in one transaction, or
nothing. Between the preview and the confirmation the rows wait in a file under
IMPORT_STASH_DIR, not served (`stash_save` / `stash_load`), keyed by a random token and the staff member.
"""

from __future__ import annotations

import csv
import io
import json
import re
import secrets
import time
import warnings
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from corridor.accounts import permissions
from corridor.accounts.models import ConsentRecord, User
from corridor.accounts.services import audit_actor, unique_slug
from corridor.core.hygiene import clean_text
from corridor.core.text import fold
from corridor.directory.models import (
    Certification,
    Country,
    HSCode,
    Organisation,
    Product,
    Province,
)
from corridor.directory.search import reindex_organisations
from corridor.directory.vocab import BuyerType, CertificationKind, Currency, OrgKind, Period, Unit

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Uploads waiting for confirmation are forgotten after a day.
STASH_MAX_AGE = 24 * 3600

KINDS: dict[str, Promise] = {
    "clusters": gettext_lazy("Clusters"),
    "smes": gettext_lazy("SMEs"),
    "buyers": gettext_lazy("Buyers"),
    "products": gettext_lazy("Products"),
}
ORG_KIND = {"clusters": OrgKind.CLUSTER, "smes": OrgKind.SME, "buyers": OrgKind.BUYER}


class ImportFileError(Exception):
    """The file as a whole cannot be read (type, encoding, empty, columns): one message."""


class ImportRejected(Exception):
    """At least one row is bad: nothing was written. Carries the report."""

    def __init__(self, report: Report):
        super().__init__(
            _("%(n)d rows have errors: nothing was imported.") % {"n": report.n_errors}
        )
        self.report = report


# --- Columns -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    help: Promise
    example: str = ""


_YES = gettext_lazy("yes or no (empty: no)")
_ORG_CONTACT = [
    Column("description", False, gettext_lazy("Description in English."), "Family workshops"),
    Column("local_description", False, gettext_lazy("Description in the local language.")),
    Column("email", False, gettext_lazy("Contact email (private)."), "info@example.com"),
    Column("phone", False, gettext_lazy("Contact phone (private)."), "+84 24 3874 0000"),
    Column(
        "website",
        False,
        gettext_lazy("Web address; https:// is added when missing."),
        "https://example.com",
    ),
    Column(
        "published",
        False,
        format_lazy(
            "{} {}",
            _YES,
            gettext_lazy("— yes only if the owner consented to a public profile (recorded)."),
        ),
        "no",
    ),
]
_NAME = Column("name", True, gettext_lazy("Name in English (or Latin letters)."), "")
_LOCAL = Column("local_name", False, gettext_lazy("Name in the local script."))
_COUNTRY = Column(
    "country", True, gettext_lazy("ISO code of the country: KH, LA, MM, TH or VN."), "VN"
)
_PROVINCE = Column(
    "province",
    True,
    gettext_lazy("Province: ISO code (VN-HN), English or local name; old names are accepted."),
    "Hà Nội",
)
_FOUNDED = Column("founded_year", False, gettext_lazy("Year, e.g. 1998."), "1998")

COLUMNS: dict[str, list[Column]] = {
    "clusters": [
        Column("name", True, _NAME.help, "Bat Trang ceramics cluster"),
        Column(_LOCAL.name, False, _LOCAL.help, "Làng gốm Bát Tràng"),
        _COUNTRY,
        _PROVINCE,
        Column("product_focus", False, gettext_lazy("What the cluster makes."), "Ceramics"),
        _FOUNDED,
        Column("export_consortium", False, _YES, "yes"),
        *_ORG_CONTACT,
    ],
    "smes": [
        Column("name", True, _NAME.help, "Minh Long pottery"),
        Column(_LOCAL.name, False, _LOCAL.help, "Gốm Minh Long"),
        Column(
            "cluster",
            False,
            gettext_lazy("Name of a cluster already in Corridor (import clusters first)."),
            "Bat Trang ceramics cluster",
        ),
        _COUNTRY,
        _PROVINCE,
        Column("employees", False, gettext_lazy("Number of employees."), "12"),
        _FOUNDED,
        *_ORG_CONTACT,
    ],
    "buyers": [
        Column("name", True, _NAME.help, "Mekong Trading Co."),
        _LOCAL,
        Column(_COUNTRY.name, True, _COUNTRY.help, "TH"),
        Column(_PROVINCE.name, False, _PROVINCE.help, "Bangkok"),
        Column(
            "buyer_type",
            False,
            format_lazy(
                "{} {}", gettext_lazy("One of:"), ", ".join(v for v, _label in BuyerType.choices)
            ),
            "importer",
        ),
        *_ORG_CONTACT,
    ],
    "products": [
        Column(
            "organisation",
            True,
            gettext_lazy("Name of an SME or cluster already in Corridor."),
            "Minh Long pottery",
        ),
        Column(
            "country",
            False,
            gettext_lazy("Country of the organisation, when two have the same name."),
            "VN",
        ),
        Column("name", True, gettext_lazy("Product name in English."), "Glazed tea set"),
        Column(_LOCAL.name, False, _LOCAL.help, "Bộ ấm chén men"),
        Column("description", False, gettext_lazy("Description."), "Hand-painted, 6 cups"),
        Column("hs_code", False, gettext_lazy("HS code: 691200, 6912.00 or 6912 00."), "691200"),
        Column("capacity", False, gettext_lazy("Production capacity, a number ≥ 0."), "500"),
        Column(
            "capacity_unit",
            False,
            format_lazy("{} {}", gettext_lazy("One of:"), ", ".join(Unit.values)),
            "sets",
        ),
        Column(
            "capacity_period",
            False,
            gettext_lazy("day, week, month or year (empty: month)."),
            "month",
        ),
        Column("min_order", False, gettext_lazy("Minimum order, a number ≥ 0."), "50"),
        Column("min_order_unit", False, gettext_lazy("Unit of the minimum order."), "sets"),
        Column("price_min", False, gettext_lazy("Lowest price, a number ≥ 0."), "12.50"),
        Column("price_max", False, gettext_lazy("Highest price, not below price_min."), "18"),
        Column(
            "currency",
            False,
            format_lazy(
                "{} {} {}",
                gettext_lazy("One of:"),
                ", ".join(Currency.values),
                gettext_lazy("(empty: USD)."),
            ),
            "USD",
        ),
        Column("price_unit", False, gettext_lazy("Unit the price is for."), "sets"),
        Column(
            "markets",
            False,
            gettext_lazy("Current export markets: ISO country codes separated by commas."),
            "JP, KR",
        ),
        Column(
            "certifications",
            False,
            format_lazy(
                "{} {}",
                gettext_lazy("Separated by commas, from:"),
                ", ".join(CertificationKind.values),
            ),
            "haccp, iso9001",
        ),
    ],
}


def columns(kind: str) -> list[Column]:
    return COLUMNS[kind]


def template_rows(kind: str) -> tuple[list[str], list[str]]:
    """The header and one example row of a kind's template."""
    cols = COLUMNS[kind]
    return [c.name for c in cols], [c.example for c in cols]


def template_csv(kind: str) -> bytes:
    header, example = template_rows(kind)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerow(example)
    # With a BOM, Excel opens the UTF-8 file with Vietnamese or Thai letters intact.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(kind: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    header, example = template_rows(kind)
    wb = Workbook()
    ws = wb.active
    ws.title = kind
    ws.append(header)
    ws.append(example)
    bold = Font(bold=True)
    for cell in ws[1]:
        cell.font = bold
    # HS codes and phone numbers are text: Excel would drop their leading zeros otherwise.
    for col in ("hs_code", "phone"):
        if col in header:
            letter = ws.cell(row=1, column=header.index(col) + 1).column_letter
            for cell in ws[letter]:
                cell.number_format = "@"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# --- Parsing -----------------------------------------------------------------------------------


@dataclass
class Row:
    """One data row: `line` is its row number in the spreadsheet (the header is row 1)."""

    line: int
    values: dict[str, str]


def _header_name(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", fold(text).strip().strip("*").strip())


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    # Text hygiene at the edge: no control characters or lone surrogates from a spreadsheet.
    return clean_text(str(value)).strip()


def _read_csv(data: bytes) -> list[list[str]]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")  # Excel's "Unicode text": tab-separated UTF-16
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise ImportFileError(
                _(
                    "The file is not UTF-8 text. In Excel choose “Save as: CSV UTF-8”, "
                    "or upload the .xlsx file."
                )
            ) from e
    if "\x00" in text:
        raise ImportFileError(_("The file is not a CSV text file."))
    first = text.split("\n", 1)[0]
    # Excel writes ';' where the decimal separator is ','; tab-separated text is common too.
    delimiter = max([",", ";", "\t"], key=first.count)
    try:
        return [
            [_cell_text(v) for v in row]
            for row in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    except csv.Error as e:
        raise ImportFileError(_("The CSV file cannot be read: %(error)s") % {"error": e}) from e


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        with warnings.catch_warnings():
            # Files from other tools trigger harmless style warnings.
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises zip, XML and key errors alike
        raise ImportFileError(_("The file is not a valid Excel (.xlsx) workbook.")) from e
    try:
        ws = wb.worksheets[0]
        rows = []
        for values in ws.iter_rows(values_only=True):
            rows.append([_cell_text(v) for v in values])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        wb.close()


def parse_file(data: bytes, filename: str, kind: str) -> list[Row]:
    """Rows of a CSV (UTF-8, with or without BOM) or .xlsx file, checked against the kind's
    columns. Raises ImportFileError with a message for the person who uploaded it."""
    if kind not in COLUMNS:
        raise ImportFileError(_("Unknown kind of list: %(kind)s") % {"kind": kind})
    if not data:
        raise ImportFileError(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(mb)d MB: split it into several files.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    name = filename.lower()
    if name.endswith(".xlsx") or data.startswith(b"PK\x03\x04"):
        table = _read_xlsx(data)
    elif name.endswith((".csv", ".txt", ".tsv")):
        table = _read_csv(data)
    elif name.endswith(".xls"):
        raise ImportFileError(_("Old Excel files (.xls) are not read: save as .xlsx or CSV UTF-8."))
    else:
        raise ImportFileError(_("Upload a .csv or .xlsx file."))
    # Leading empty rows and trailing empty columns are what spreadsheets leave behind.
    while table and not any(table[0]):
        table.pop(0)
    if not table:
        raise ImportFileError(_("The file is empty."))
    header = [_header_name(h) for h in table[0]]
    while header and not header[-1]:
        header.pop()
    known = {c.name for c in COLUMNS[kind]}
    unknown = [h for h in header if h and h not in known]
    if unknown:
        raise ImportFileError(
            _("Unknown columns: %(cols)s. The columns of this list are: %(known)s.")
            % {"cols": ", ".join(unknown), "known": ", ".join(c.name for c in COLUMNS[kind])}
        )
    if "" in header:
        raise ImportFileError(_("A column has no name in the first row."))
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise ImportFileError(_("Repeated columns: %(cols)s.") % {"cols": ", ".join(repeated)})
    missing = [c.name for c in COLUMNS[kind] if c.required and c.name not in header]
    if missing:
        raise ImportFileError(_("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)})
    rows = []
    for index, cells in enumerate(table[1:], start=2):
        if not any(cells):
            continue
        if any(cells[len(header) :]):
            raise ImportFileError(
                _("Row %(line)d has more values than the first row has columns.") % {"line": index}
            )
        cells = cells + [""] * (len(header) - len(cells))
        rows.append(Row(index, dict(zip(header, cells[: len(header)], strict=True))))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(n)d rows: split it into several files.")
                % {"n": MAX_ROWS}
            )
    if not rows:
        raise ImportFileError(_("The file has a header row but no data rows."))
    return rows


# --- Validation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    column: str
    text: str

    def __str__(self) -> str:
        return f"{self.column}: {self.text}" if self.column else self.text


@dataclass
class RowReport:
    line: int
    values: dict[str, str]
    messages: list[Message] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def ok(self) -> bool:
        return not self.messages

    @property
    def status(self) -> str:
        return "ok" if self.ok else "error"

    def lines(self) -> list[str]:
        """'Row 7, province: ...' lines, one per message."""
        return [
            _("Row %(line)d, %(message)s") % {"line": self.line, "message": m}
            for m in self.messages
        ]


@dataclass
class Report:
    kind: str
    rows: list[RowReport]

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def n_errors(self) -> int:
        return sum(1 for r in self.rows if not r.ok)

    @property
    def n_ok(self) -> int:
        return self.n_rows - self.n_errors

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and self.n_errors == 0

    def errors_first(self) -> list[RowReport]:
        return sorted(self.rows, key=lambda r: (r.ok, r.line))


class _Bad(Exception):
    """A cell's value is wrong: the message says why."""


def _text(value: str, max_length: int) -> str:
    if len(value) > max_length:
        raise _Bad(_("is longer than %(n)d characters") % {"n": max_length})
    return value


def _integer(value: str, low: int, high: int | None = None) -> int | None:
    if not value:
        return None
    cleaned = (
        value.replace(" ", "").replace(",", "")
        if re.fullmatch(r"\d{1,3}([ ,]\d{3})+", value)
        else value
    )
    try:
        number = int(cleaned)
    except ValueError as e:
        raise _Bad(_("'%(value)s' is not a whole number") % {"value": value}) from e
    if number < low or (high is not None and number > high):
        if high is None:
            raise _Bad(_("%(value)s must be at least %(low)d") % {"value": value, "low": low})
        raise _Bad(
            _("%(value)s must be between %(low)d and %(high)d")
            % {"value": value, "low": low, "high": high}
        )
    return number


def _decimal(value: str, places: int) -> Decimal | None:
    if not value:
        return None
    cleaned = value.replace(" ", "").replace("\u00a0", "")
    if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", cleaned):
        cleaned = cleaned.replace(",", "")  # thousands separators
    elif "," in cleaned:
        raise _Bad(_("'%(value)s' is not a number (use a dot for decimals)") % {"value": value})
    try:
        number = Decimal(cleaned)
    except InvalidOperation as e:
        raise _Bad(_("'%(value)s' is not a number") % {"value": value}) from e
    if not number.is_finite():
        raise _Bad(_("'%(value)s' is not a number") % {"value": value})
    if number < 0:
        raise _Bad(_("%(value)s must not be negative") % {"value": value})
    number = number.quantize(Decimal(1).scaleb(-places))
    if number >= Decimal(10) ** (14 - places):
        raise _Bad(_("%(value)s is too large") % {"value": value})
    return number


_YES_WORDS = {"yes", "y", "true", "1", "x", "co", "oui", "si", "ja"}
_NO_WORDS = {"no", "n", "false", "0", "khong", "non", "nein", ""}


def _boolean(value: str) -> bool:
    word = fold(value).strip()
    if word in _YES_WORDS:
        return True
    if word in _NO_WORDS:
        return False
    raise _Bad(_("'%(value)s' is not yes or no") % {"value": value})


_UNIT_SYNONYMS = {
    "kgs": "kg",
    "kilogram": "kg",
    "kilograms": "kg",
    "ton": "t",
    "tons": "t",
    "tonne": "t",
    "tonnes": "t",
    "mt": "t",
    "piece": "pieces",
    "pcs": "pieces",
    "pc": "pieces",
    "set": "sets",
    "litre": "l",
    "liter": "l",
    "litres": "l",
    "liters": "l",
    "container": "container20",
    "20ft": "container20",
}


def _choice(value: str, values: Iterable[str], synonyms: dict[str, str] | None = None) -> str:
    if not value:
        return ""
    word = fold(value).strip().replace(" ", "")
    allowed = {v.lower(): v for v in values}
    word = (synonyms or {}).get(word, word)
    if word in allowed:
        return allowed[word]
    raise _Bad(
        _("'%(value)s' is not one of %(allowed)s")
        % {"value": value, "allowed": ", ".join(allowed.values())}
    )


def _period(value: str) -> str:
    word = fold(value).strip().removeprefix("per ").strip()
    word = {"daily": "day", "weekly": "week", "monthly": "month", "yearly": "year"}.get(word, word)
    return _choice(word, Period.values) or Period.MONTH


def _certifications(value: str) -> list[str]:
    kinds = []
    labels = {fold(str(label)).replace(" ", ""): v for v, label in CertificationKind.choices}
    for part in _split_list(value):
        word = fold(part).replace(" ", "").replace("-", "")
        kind = next(
            (v for v in CertificationKind.values if v.replace("_", "") == word.replace("_", "")),
            labels.get(word),
        )
        if kind is None:
            raise _Bad(
                _("'%(value)s' is not a certification we know (%(allowed)s)")
                % {"value": part, "allowed": ", ".join(CertificationKind.values)}
            )
        if kind not in kinds:
            kinds.append(kind)
    return kinds


def _split_list(value: str) -> list[str]:
    return [p.strip() for p in re.split(r"[,;]", value) if p.strip()]


def _markets(value: str) -> list[str]:
    import pycountry

    codes = []
    for part in _split_list(value):
        code = part.upper()
        if not re.fullmatch(r"[A-Z]{2}", code) or pycountry.countries.get(alpha_2=code) is None:
            raise _Bad(_("'%(value)s' is not a two-letter ISO country code") % {"value": part})
        if code not in codes:
            codes.append(code)
    return codes


def _email(value: str) -> str:
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError as e:
        raise _Bad(_("'%(value)s' is not an email address") % {"value": value}) from e
    return _text(value, 254)


def _website(value: str) -> str:
    if not value:
        return ""
    url = value if re.match(r"^[a-z][a-z0-9+.-]*://", value, re.I) else f"https://{value}"
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError as e:
        raise _Bad(_("'%(value)s' is not a web address") % {"value": value}) from e
    return _text(url, 200)


class Lookups:
    """Everything the checks need from the database, read once per report (a few queries,
    however many rows)."""

    def __init__(self, kind: str, rows: Sequence[Row], resolver=None):
        self.kind = kind
        self.countries: dict[str, Country] = {}
        for country in Country.objects.all():
            self.countries[country.code.lower()] = country
            self.countries.setdefault(fold(country.name), country)
        if resolver is None and any(r.values.get("province") for r in rows):
            from corridor.directory.reference import ProvinceResolver

            resolver = ProvinceResolver()
        self.resolver = resolver
        if kind in ORG_KIND:
            self._load_org_names(rows)
        if kind == "smes":
            self.clusters = self._orgs_by_name(
                [r.values.get("cluster", "") for r in rows], [OrgKind.CLUSTER]
            )
        if kind == "products":
            self.organisations = self._orgs_by_name(
                [r.values.get("organisation", "") for r in rows], [OrgKind.SME, OrgKind.CLUSTER]
            )
            ids = [o["id"] for found in self.organisations.values() for o in found]
            self.products = {
                (org_id, fold(name))
                for org_id, name in Product.objects.filter(organisation_id__in=ids).values_list(
                    "organisation_id", "name"
                )
            }
            self.hs_codes = self._hs_codes([r.values.get("hs_code", "") for r in rows])

    def country(self, text: str) -> Country | None:
        return self.countries.get(text.lower()) or self.countries.get(fold(text))

    def province(self, text: str, country: Country) -> Province | None:
        """The current unit (a name abolished by a merger gives its successor) in `country`."""
        found = self.resolver.resolve(text, country=country.code) if self.resolver else None
        return found if found is not None and found.country_id == country.code else None

    def _load_org_names(self, rows: Sequence[Row]) -> None:
        codes = {c.code for r in rows if (c := self.country(r.values.get("country", "")))}
        self.existing_names = {
            (country_id, fold(name))
            for country_id, name in Organisation.objects.filter(
                kind=ORG_KIND[self.kind], country_id__in=codes, merged_into__isnull=True
            )
            .order_by()
            .values_list("country_id", "name")
        }

    @staticmethod
    def _orgs_by_name(names: Iterable[str], kinds: list[str]) -> dict[str, list[dict]]:
        """Organisations of these kinds whose folded name is one of `names`."""
        wanted = {fold(n).strip() for n in names if n.strip()}
        found: dict[str, list[dict]] = defaultdict(list)
        if not wanted:
            return found
        # Names are compared folded (case, diacritics): done here, the database cannot portably.
        qs = (
            Organisation.objects.filter(kind__in=kinds, merged_into__isnull=True)
            .order_by()
            .values("id", "name", "country_id", "kind")
        )
        for org in qs.iterator(chunk_size=2000):
            key = fold(org["name"]).strip()
            if key in wanted:
                found[key].append(org)
        return found

    @staticmethod
    def _hs_codes(texts: Iterable[str]) -> set[str]:
        # resolve_hs_code's rules, with one query for the whole file instead of one per row.
        from corridor.directory.reference import normalise_hs_code

        codes = {normalise_hs_code(t) for t in texts if t}
        codes.discard(None)
        return set(HSCode.objects.filter(code__in=codes).values_list("code", flat=True))

    def hs_code(self, text: str) -> str | None:
        from corridor.directory.reference import normalise_hs_code

        code = normalise_hs_code(text)
        return code if code in self.hs_codes else None


def _check_cell(row: RowReport, column: str, check, *args) -> Any:
    value = row.values.get(column, "")
    try:
        return check(value, *args)
    except _Bad as e:
        row.messages.append(Message(column, str(e)))
        return None


def _required(row: RowReport, column: str) -> str:
    value = row.values.get(column, "")
    if not value:
        row.messages.append(Message(column, _("is required")))
    return value


def _validate_org(row: RowReport, kind: str, lookups: Lookups, seen: dict) -> None:
    data = row.data
    name = _required(row, "name")
    data["name"] = _check_cell(row, "name", _text, 200) or ""
    data["local_name"] = _check_cell(row, "local_name", _text, 200) or ""
    data["description"] = row.values.get("description", "")
    data["local_description"] = row.values.get("local_description", "")
    data["email"] = _check_cell(row, "email", _email) or ""
    data["phone"] = _check_cell(row, "phone", _text, 40) or ""
    data["website"] = _check_cell(row, "website", _website) or ""
    data["is_published"] = bool(_check_cell(row, "published", _boolean))

    country = None
    country_text = _required(row, "country")
    if country_text:
        country = lookups.country(country_text)
        if country is None:
            row.messages.append(
                Message(
                    "country",
                    _("'%(value)s' is not a country code we know (%(codes)s)")
                    % {
                        "value": country_text,
                        "codes": ", ".join(sorted({c.code for c in lookups.countries.values()})),
                    },
                )
            )
    data["country"] = country

    province_required = kind in ("clusters", "smes")
    province_text = (
        _required(row, "province") if province_required else row.values.get("province", "")
    )
    data["province"] = None
    if province_text and country is not None:
        province = lookups.province(province_text, country)
        if province is None:
            row.messages.append(
                Message(
                    "province",
                    _("'%(value)s' is not a province of %(country)s")
                    % {"value": province_text, "country": country.name},
                )
            )
        data["province"] = province

    if kind == "clusters":
        data["product_focus"] = _check_cell(row, "product_focus", _text, 200) or ""
        data["is_export_consortium"] = bool(_check_cell(row, "export_consortium", _boolean))
    if kind in ("clusters", "smes"):
        data["founded_year"] = _check_cell(row, "founded_year", _integer, 1800, timezone.now().year)
    if kind == "smes":
        data["employees"] = _check_cell(row, "employees", _integer, 0, 10_000_000)
        data["cluster"] = None
        cluster_text = row.values.get("cluster", "")
        if cluster_text:
            found = lookups.clusters.get(fold(cluster_text).strip(), [])
            if country is not None and len(found) > 1:
                found = [c for c in found if c["country_id"] == country.code] or found
            if not found:
                row.messages.append(
                    Message("cluster", _("no cluster named '%(value)s'") % {"value": cluster_text})
                )
            elif len(found) > 1:
                row.messages.append(
                    Message(
                        "cluster",
                        _("several clusters are named '%(value)s'") % {"value": cluster_text},
                    )
                )
            else:
                data["cluster"] = found[0]["id"]
    if kind == "buyers":
        data["buyer_type"] = (
            _check_cell(
                row,
                "buyer_type",
                _choice,
                BuyerType.values,
                {fold(str(label)).replace(" ", ""): v for v, label in BuyerType.choices},
            )
            or ""
        )

    if name and country is not None:
        _check_duplicate(
            row,
            name,
            (country.code, fold(name).strip()),
            seen,
            lookups.existing_names,
            _("'%(value)s' is already in row %(line)d of this file"),
            _("'%(value)s' already exists in %(country)s")
            % {"value": name, "country": country.name},
        )


def _check_duplicate(
    row: RowReport, name: str, key: tuple, seen: dict, existing: set, in_file: str, in_database: str
) -> None:
    """Report a name given twice in the file (`in_file` gets the first row's line) or already
    in the database; remember the first row of each key."""
    if key in seen:
        row.messages.append(Message("name", in_file % {"value": name, "line": seen[key]}))
    else:
        seen[key] = row.line
    if key in existing:
        row.messages.append(Message("name", in_database))


def _validate_product(row: RowReport, lookups: Lookups, seen: dict) -> None:
    data = row.data
    org_text = _required(row, "organisation")
    name = _required(row, "name")
    data["name"] = _check_cell(row, "name", _text, 200) or ""
    data["local_name"] = _check_cell(row, "local_name", _text, 200) or ""
    data["description"] = row.values.get("description", "")
    data["organisation"] = None
    if org_text:
        found = lookups.organisations.get(fold(org_text).strip(), [])
        country_text = row.values.get("country", "")
        if country_text:
            country = lookups.country(country_text)
            if country is None:
                row.messages.append(
                    Message(
                        "country",
                        _("'%(value)s' is not a country code we know") % {"value": country_text},
                    )
                )
            else:
                found = [o for o in found if o["country_id"] == country.code]
        if not found:
            row.messages.append(
                Message(
                    "organisation",
                    _("no SME or cluster named '%(value)s'") % {"value": org_text},
                )
            )
        elif len(found) > 1:
            row.messages.append(
                Message(
                    "organisation",
                    _("several organisations are named '%(value)s': add the country column")
                    % {"value": org_text},
                )
            )
        else:
            data["organisation"] = found[0]["id"]

    hs_text = row.values.get("hs_code", "")
    data["hs_code"] = None
    if hs_text:
        data["hs_code"] = lookups.hs_code(hs_text)
        if data["hs_code"] is None:
            row.messages.append(
                Message("hs_code", _("'%(value)s' is not an HS code") % {"value": hs_text})
            )

    units = {fold(str(label)).replace(" ", ""): v for v, label in Unit.choices}
    units.update(_UNIT_SYNONYMS)
    data["capacity_amount"] = _check_cell(row, "capacity", _decimal, 3)
    data["capacity_unit"] = _check_cell(row, "capacity_unit", _choice, Unit.values, units) or ""
    data["capacity_period"] = _check_cell(row, "capacity_period", _period) or Period.MONTH
    data["min_order_amount"] = _check_cell(row, "min_order", _decimal, 3)
    data["min_order_unit"] = _check_cell(row, "min_order_unit", _choice, Unit.values, units) or ""
    data["price_min"] = _check_cell(row, "price_min", _decimal, 2)
    data["price_max"] = _check_cell(row, "price_max", _decimal, 2)
    data["currency"] = (
        _check_cell(row, "currency", lambda v: _choice(v.upper(), Currency.values)) or "USD"
    )
    data["price_unit"] = _check_cell(row, "price_unit", _choice, Unit.values, units) or ""
    data["markets"] = _check_cell(row, "markets", _markets) or []
    data["certifications"] = _check_cell(row, "certifications", _certifications) or []

    for amount, unit in (("capacity", "capacity_unit"), ("min_order", "min_order_unit")):
        if row.values.get(amount) and not row.values.get(unit):
            row.messages.append(
                Message(unit, _("is required when %(column)s is given") % {"column": amount})
            )
    low, high = data["price_min"], data["price_max"]
    if low is not None and high is not None and low > high:
        row.messages.append(
            Message(
                "price_max",
                _("%(high)s is below price_min %(low)s")
                % {"high": row.values["price_max"], "low": row.values["price_min"]},
            )
        )

    if name and data["organisation"] is not None:
        _check_duplicate(
            row,
            name,
            (data["organisation"], fold(name).strip()),
            seen,
            lookups.products,
            _("'%(value)s' of this organisation is already in row %(line)d of this file"),
            _("'%(org)s' already has a product named '%(value)s'")
            % {"org": org_text, "value": name},
        )


def validate_rows(kind: str, rows: Sequence[Row], *, resolver=None) -> Report:
    """Check every row and return the report; `resolver` (a ProvinceResolver) is built from
    the database when not given. Reads a constant number of queries, whatever the row count."""
    if kind not in COLUMNS:
        raise ValueError(f"unknown import kind {kind!r}")
    lookups = Lookups(kind, rows, resolver)
    order = {c.name: i for i, c in enumerate(COLUMNS[kind])}
    seen: dict = {}
    reports = []
    for row in rows:
        report = RowReport(row.line, dict(row.values))
        if kind == "products":
            _validate_product(report, lookups, seen)
        else:
            _validate_org(report, kind, lookups, seen)
        # In the order of the columns, as the person fixing the file reads them.
        report.messages.sort(key=lambda m: order.get(m.column, len(order)))
        reports.append(report)
    return Report(kind, reports)


# --- Writing -----------------------------------------------------------------------------------


@dataclass
class ImportResult:
    kind: str
    organisation_ids: list[int]
    product_ids: list[int]

    @property
    def count(self) -> int:
        return len(self.product_ids) if self.kind == "products" else len(self.organisation_ids)


def _consent_note() -> str:
    return _("Consent recorded by programme staff with a directory import.")


def _write_row(kind: str, data: dict[str, Any], by: User | None) -> tuple[int, int | None]:
    """Save one checked row; returns (organisation id, product id or None)."""
    if kind == "products":
        product = Product(
            organisation_id=data["organisation"],
            hs_code_id=data["hs_code"],
            **{
                k: data[k]
                for k in (
                    "name",
                    "local_name",
                    "description",
                    "capacity_amount",
                    "capacity_unit",
                    "capacity_period",
                    "min_order_amount",
                    "min_order_unit",
                    "price_min",
                    "price_max",
                    "currency",
                    "price_unit",
                    "markets",
                )
            },
        )
        product.full_clean(exclude=["embedding", "embedded_at"])
        product.save()
        for cert in data["certifications"]:
            Certification.objects.create(
                organisation_id=product.organisation_id, product=product, kind=cert
            )
        return product.organisation_id, product.pk
    fields = {k: v for k, v in data.items() if k not in ("cluster",)}
    org = Organisation(kind=ORG_KIND[kind], slug=unique_slug(data["name"]), **fields)
    org.cluster_id = data.get("cluster")
    org.full_clean(exclude=["search_text"])
    org.save()
    if org.is_published:
        ConsentRecord.objects.create(
            organisation=org, published=True, by=by, note=_consent_note()[:300]
        )
    return org.pk, None


@transaction.atomic
def import_rows(kind: str, rows: Sequence[Row], *, by: User | None) -> ImportResult:
    """Check the rows again and write them all in one transaction; if any row is bad, raise
    ImportRejected and write nothing. `by` is the staff member (None: the command line)."""
    if by is not None and not permissions.can_import(by):
        raise PermissionDenied(_("Only programme staff may import."))
    report = validate_rows(kind, rows)
    if not report.is_valid:
        raise ImportRejected(report)
    org_ids: list[int] = []
    product_ids: list[int] = []
    with audit_actor(by):
        for row in report.rows:
            try:
                org_id, product_id = _write_row(kind, row.data, by)
            except ValidationError as e:
                # Checked above, so only a race (a name taken meanwhile) gets here.
                row.messages += [Message("", m) for m in e.messages]
                raise ImportRejected(report) from e
            org_ids.append(org_id)
            if product_id is not None:
                product_ids.append(product_id)
    touched = list(dict.fromkeys(org_ids))
    if kind == "products":
        Organisation.objects.filter(pk__in=touched).update(updated_at=timezone.now())
    # Inside the transaction: the index is never ahead of or behind the rows it describes.
    reindex_organisations(touched)
    if product_ids:
        from corridor.matching.services import schedule_reembed

        schedule_reembed(product_ids=product_ids, by=by)
    return ImportResult(kind, touched, product_ids)


# --- Error report and the stash between preview and confirmation -------------------------------


def report_csv(report: Report) -> bytes:
    """The rows with errors, one line per message, for the person fixing the file."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("Row"), _("Column"), _("Value"), _("Problem")])
    for row in report.rows:
        for m in row.messages:
            value = row.values.get(m.column, "")
            writer.writerow([row.line, m.column, _safe(value), _safe(m.text)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _safe(text: str) -> str:
    """Neutralise spreadsheet formulas in user-typed text (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")


def _stash_dir() -> Path:
    return Path(settings.IMPORT_STASH_DIR)


def stash_save(*, kind: str, filename: str, rows: Sequence[Row], by: User) -> str:
    """Keep parsed rows until the staff member confirms; returns the token naming them."""
    folder = _stash_dir()
    folder.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in folder.glob("*.json"):
        try:
            if now - old.stat().st_mtime > STASH_MAX_AGE:
                old.unlink()
        except FileNotFoundError:
            pass
    token = secrets.token_urlsafe(24)
    payload = {
        "user": by.pk,
        "kind": kind,
        "filename": filename[:200],
        "rows": [[r.line, r.values] for r in rows],
    }
    (folder / f"{token}.json").write_text(json.dumps(payload, ensure_ascii=False), "utf-8")
    return token


def stash_load(token: str, *, by: User) -> tuple[str, str, list[Row]] | None:
    """(kind, filename, rows) of a stashed upload of this user, or None if gone or not theirs."""
    if not _TOKEN_RE.fullmatch(token or ""):
        return None
    path = _stash_dir() / f"{token}.json"
    try:
        if time.time() - path.stat().st_mtime > STASH_MAX_AGE:
            return None
        payload = json.loads(path.read_text("utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    if payload.get("user") != by.pk or payload.get("kind") not in COLUMNS:
        return None
    rows = [Row(line, values) for line, values in payload["rows"]]
    return payload["kind"], payload["filename"], rows


def stash_delete(token: str) -> None:
    if _TOKEN_RE.fullmatch(token or ""):
        (_stash_dir() / f"{token}.json").unlink(missing_ok=True)
