"""Shared setup of the import tests: a small geography, HS codes, files built in memory."""

from __future__ import annotations

import csv
import io

from django.apps import apps
from django.db import connection

from corridor.core.text import fold
from corridor.directory.models import ProvinceAlias
from corridor.directory.search import FACET_TABLE
from tests import factories


def make_world() -> dict:
    """Cambodia, Viet Nam and Thailand with a few provinces (one merged in 2025), HS codes,
    one cluster and one SME already in the directory."""
    kh = factories.CountryFactory(code="KH", name="Cambodia")
    vn = factories.CountryFactory(code="VN", name="Viet Nam")
    th = factories.CountryFactory(code="TH", name="Thailand")
    phnom_penh = factories.ProvinceFactory(
        code="KH-12", country=kh, name="Phnom Penh", local_name="ភ្នំពេញ"
    )
    koh_kong = factories.ProvinceFactory(code="KH-9", country=kh, name="Koh Kong")
    ProvinceAlias.objects.create(
        province=koh_kong, name="Kaoh Kong", folded=fold("Kaoh Kong"), reason="spelling"
    )
    hanoi = factories.ProvinceFactory(code="VN-HN", country=vn, name="Hà Nội", local_name="Hà Nội")
    tuyen_quang = factories.ProvinceFactory(
        code="VN-07", country=vn, name="Tuyên Quang", local_name="Tuyên Quang"
    )
    # Hà Giang was merged into Tuyên Quang on 1 July 2025.
    ha_giang = factories.ProvinceFactory(
        code="VN-03",
        country=vn,
        name="Hà Giang",
        local_name="Hà Giang",
        is_current=False,
        successor=tuyen_quang,
    )
    ProvinceAlias.objects.create(
        province=tuyen_quang, name="Hà Giang", folded=fold("Hà Giang"), reason="merger"
    )
    bangkok = factories.ProvinceFactory(code="TH-10", country=th, name="Bangkok")
    for code, level in (("08", 2), ("0804", 4), ("080450", 6), ("69", 2), ("6912", 4)):
        factories.HSCodeFactory(code=code, description=f"HS {code}", level=level)
    factories.HSCodeFactory(code="691200", description="Ceramic tableware", level=6)
    cluster = factories.OrganisationFactory(
        kind="cluster", name="Bat Trang ceramics cluster", country=vn, province=hanoi
    )
    sme = factories.OrganisationFactory(
        kind="sme", name="Minh Long pottery", country=vn, province=hanoi, cluster=cluster
    )
    return {
        "kh": kh,
        "vn": vn,
        "th": th,
        "phnom_penh": phnom_penh,
        "koh_kong": koh_kong,
        "hanoi": hanoi,
        "tuyen_quang": tuyen_quang,
        "ha_giang": ha_giang,
        "bangkok": bangkok,
        "cluster": cluster,
        "sme": sme,
    }


def csv_bytes(header: list[str], *rows: list[str], bom: bool = True) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def xlsx_bytes(header: list[str], *rows: list) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    """Row counts of every directory and accounts model, the history and the search index."""
    counts = {}
    for label in ("directory", "accounts", "auditlog", "connections"):
        for model in apps.get_app_config(label).get_models():
            counts[model._meta.label] = model.objects.count()
    with connection.cursor() as cur:
        cur.execute(f"SELECT COUNT(*) FROM {FACET_TABLE}")
        counts[FACET_TABLE] = cur.fetchone()[0]
    return counts


CLUSTER_HEADER = [
    "name",
    "local_name",
    "country",
    "province",
    "product_focus",
    "founded_year",
    "export_consortium",
    "description",
    "email",
    "website",
    "published",
]
SME_HEADER = [
    "name",
    "cluster",
    "country",
    "province",
    "employees",
    "founded_year",
    "email",
    "phone",
    "website",
]
BUYER_HEADER = ["name", "country", "province", "buyer_type", "email", "website"]
PRODUCT_HEADER = [
    "organisation",
    "country",
    "name",
    "hs_code",
    "capacity",
    "capacity_unit",
    "capacity_period",
    "min_order",
    "min_order_unit",
    "price_min",
    "price_max",
    "currency",
    "price_unit",
    "markets",
    "certifications",
]
