"""Fixed vocabularies of the business database: organisation kinds, units, certifications."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrgKind(models.TextChoices):
    SME = "sme", _("SME")
    CLUSTER = "cluster", _("Cluster")
    BUYER = "buyer", _("Buyer / trader")
    SUPPORT = "support", _("Support organisation")
    INVESTOR = "investor", _("Investor")


class BuyerType(models.TextChoices):
    IMPORTER = "importer", _("Importer")
    TRADER = "trader", _("Trader")
    DISTRIBUTOR = "distributor", _("Distributor / wholesaler")
    RETAILER = "retailer", _("Retailer")
    MANUFACTURER = "manufacturer", _("Manufacturer")
    HOTEL = "hospitality", _("Hotel / restaurant")


class SupportType(models.TextChoices):
    ASSOCIATION = "association", _("Business association")
    CHAMBER = "chamber", _("Chamber of commerce")
    MINISTRY = "ministry", _("Ministry / government agency")
    TRAINING = "training", _("Training provider")
    NGO = "ngo", _("Development organisation")
    FINANCE = "finance", _("Financial institution")


class Unit(models.TextChoices):
    """Units of quantity; corridor.matching.units converts between units of one dimension."""

    KG = "kg", _("kg")
    G = "g", _("g")
    T = "t", _("t (tonnes)")
    PIECES = "pieces", _("pieces")
    DOZEN = "dozen", _("dozen")
    SETS = "sets", _("sets")
    M = "m", _("m")
    M2 = "m2", _("m²")
    M3 = "m3", _("m³")
    L = "l", _("litres")
    ML = "ml", _("ml")
    CONTAINER_20 = "container20", _("20-ft containers")


class Period(models.TextChoices):
    DAY = "day", _("per day")
    WEEK = "week", _("per week")
    MONTH = "month", _("per month")
    YEAR = "year", _("per year")


class Frequency(models.TextChoices):
    ONCE = "once", _("One-off")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")
    YEARLY = "yearly", _("Yearly")
    SEASONAL = "seasonal", _("Seasonal")


class CertificationKind(models.TextChoices):
    ORGANIC = "organic", _("Organic")
    GAP = "gap", _("GAP (good agricultural practice)")
    GMP = "gmp", _("GMP")
    HACCP = "haccp", _("HACCP")
    HALAL = "halal", _("Halal")
    FAIR_TRADE = "fair_trade", _("Fair trade")
    GI = "gi", _("Geographical indication")
    ISO9001 = "iso9001", _("ISO 9001")
    ISO22000 = "iso22000", _("ISO 22000")
    BRC = "brc", _("BRCGS")
    FSC = "fsc", _("FSC")
    OTOP = "otop", _("OTOP / OCOP")


class Currency(models.TextChoices):
    USD = "USD", "USD"
    THB = "THB", "THB"
    VND = "VND", "VND"
    KHR = "KHR", "KHR"
    LAK = "LAK", "LAK"
    MMK = "MMK", "MMK"
    CNY = "CNY", "CNY"
    JPY = "JPY", "JPY"
    EUR = "EUR", "EUR"
