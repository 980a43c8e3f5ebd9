"""The corridor business database: geography, HS codes, organisations, products and requests."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from corridor.core import uploads
from corridor.directory.vocab import (
    BuyerType,
    CertificationKind,
    Currency,
    Frequency,
    OrgKind,
    Period,
    SupportType,
    Unit,
)

# --- Geography -------------------------------------------------------------------------------


class Country(models.Model):
    code = models.CharField(_("ISO code"), max_length=2, primary_key=True)
    name = models.CharField(_("name"), max_length=100)
    local_name = models.CharField(_("local name"), max_length=100, blank=True)
    timezone = models.CharField(_("time zone"), max_length=50, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("countries")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The country's name in the active language (CLDR through Babel; `name` is English)."""
        from corridor.core.formatting import country_name

        return country_name(self.code, self.name) if self.code else self.name


class Province(models.Model):
    """A first-level administrative unit. Units abolished by a merger point to their successor."""

    code = models.CharField(_("code"), max_length=12, primary_key=True)  # ISO 3166-2 or VN-2025-xx
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="provinces")
    name = models.CharField(_("name"), max_length=100)
    local_name = models.CharField(_("local name"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=50, blank=True)
    is_current = models.BooleanField(_("current unit"), default=True)
    successor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="predecessors",
        help_text=_("The unit this one was merged into."),
    )
    search_text = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["country_id", "name"]
        indexes = [models.Index(fields=["country", "is_current"])]

    def __str__(self) -> str:
        return self.name


class ProvinceAlias(models.Model):
    """Another spelling of a province ("Kaoh Kong" for Koh Kong) or a pre-merger name."""

    province = models.ForeignKey(Province, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("name"), max_length=100)
    folded = models.CharField(max_length=100, db_index=True, editable=False)
    reason = models.CharField(_("reason"), max_length=40, blank=True)  # spelling, merger, iso...

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["province", "folded"], name="unique_province_alias")
        ]

    def __str__(self) -> str:
        return self.name


class EconomicCorridor(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=150)
    description = models.TextField(_("description"), blank=True)
    provinces = models.ManyToManyField(Province, related_name="corridors", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BorderCrossing(models.Model):
    name = models.CharField(_("name"), max_length=150, unique=True)
    province_a = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    province_b = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(_("mode"), max_length=150, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


# --- Harmonized System ------------------------------------------------------------------------


class HSCode(models.Model):
    """A chapter (2 digits), heading (4) or subheading (6) of the HS 2022 nomenclature."""

    code = models.CharField(max_length=6, primary_key=True)
    description = models.TextField()
    level = models.PositiveSmallIntegerField()
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE)
    section = models.CharField(max_length=5, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("HS code")

    @property
    def dotted(self) -> str:
        c = self.code
        return c if len(c) <= 4 else f"{c[:4]}.{c[4:]}"

    def __str__(self) -> str:
        return f"{self.dotted} {self.description[:60]}"


# --- Organisations -----------------------------------------------------------------------------


class Organisation(models.Model):
    """An SME, a cluster, a buyer or a support organisation: one table so that search,
    connections and the API treat them alike; kind-specific fields are blank for other kinds."""

    kind = models.CharField(_("type"), max_length=10, choices=OrgKind.choices, db_index=True)
    name = models.CharField(_("name (English)"), max_length=200)
    local_name = models.CharField(_("name (local script)"), max_length=200, blank=True)
    slug = models.SlugField(max_length=220, unique=True)
    description = models.TextField(_("description (English)"), blank=True)
    local_description = models.TextField(_("description (local language)"), blank=True)
    country = models.ForeignKey(Country, on_delete=models.PROTECT, related_name="organisations")
    province = models.ForeignKey(
        Province, null=True, blank=True, on_delete=models.PROTECT, related_name="organisations"
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    website = models.URLField(_("website"), blank=True)
    # Private contact details: shown only to staff and accepted connections.
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    founded_year = models.PositiveSmallIntegerField(
        _("founding year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1800), MaxValueValidator(2100)],
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)

    # Clusters
    cluster = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
        limit_choices_to={"kind": OrgKind.CLUSTER},
        verbose_name=_("cluster"),
    )
    product_focus = models.CharField(_("product focus"), max_length=200, blank=True)
    is_export_consortium = models.BooleanField(_("operates as an export consortium"), default=False)
    coordinator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="coordinated_clusters",
        verbose_name=_("coordinator"),
    )
    # Buyers and support organisations
    buyer_type = models.CharField(
        _("buyer type"), max_length=20, choices=BuyerType.choices, blank=True
    )
    support_type = models.CharField(
        _("support type"), max_length=20, choices=SupportType.choices, blank=True
    )
    # Trust and consent
    is_published = models.BooleanField(
        _("public profile"), default=False, help_text=_("The owner consents to a public profile.")
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_claimed = models.BooleanField(_("claimed by its owner"), default=False)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_from"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # Folded tokens of names, descriptions, places and products (see directory.search).
    search_text = models.TextField(editable=False, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["kind", "country", "province"]),
            models.Index(fields=["is_published", "kind"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(kind="cluster") | models.Q(cluster__isnull=True),
                name="cluster_not_member_of_cluster",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class ContactPerson(models.Model):
    """A person to talk to at an organisation; private like the organisation's contact details."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200)
    position = models.CharField(_("position"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    languages = models.CharField(_("languages"), max_length=100, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)

    class Meta:
        ordering = ["-is_primary", "name"]

    def __str__(self) -> str:
        return self.name


# --- Products and offers --------------------------------------------------------------------


class Product(models.Model):
    """What an SME or a cluster offers."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="products"
    )
    name = models.CharField(_("name (English)"), max_length=200)
    local_name = models.CharField(_("name (local script)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    hs_code = models.ForeignKey(
        HSCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="products",
        verbose_name=_("HS code"),
    )
    capacity_amount = models.DecimalField(
        _("capacity"),
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    capacity_unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices, blank=True)
    capacity_period = models.CharField(
        _("per"), max_length=8, choices=Period.choices, default=Period.MONTH
    )
    min_order_amount = models.DecimalField(
        _("minimum order"),
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    min_order_unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices, blank=True)
    price_min = models.DecimalField(
        _("price from"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    price_max = models.DecimalField(
        _("price to"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default="USD"
    )
    price_unit = models.CharField(_("price per"), max_length=12, choices=Unit.choices, blank=True)
    markets = models.JSONField(_("current export markets"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Matching index: embedding of the product text, refreshed by a background task.
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    embedded_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The HS suggester's guessed headings for a product without a code, stored with the vector
    # (adapters.guess_to_bytes) so that building the catalog does not guess again.
    hs_guess = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_min__isnull=True)
                | models.Q(price_max__isnull=True)
                | models.Q(price_min__lte=models.F("price_max")),
                name="product_price_range_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Certification(models.Model):
    """A certificate held by an organisation, optionally for one product; expired ones don't count."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="certifications"
    )
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="certifications"
    )
    kind = models.CharField(_("certification"), max_length=20, choices=CertificationKind.choices)
    issuer = models.CharField(_("issuer"), max_length=200, blank=True)
    number = models.CharField(_("certificate number"), max_length=100, blank=True)
    valid_until = models.DateField(_("expiry date"), null=True, blank=True)
    # Private: PDF/JPEG/PNG checked by content, downloaded through core.uploads' view only.
    document = models.FileField(
        _("document"),
        upload_to=uploads.upload_to("certificates"),
        storage=uploads.get_private_storage,
        blank=True,
        max_length=200,
    )

    class Meta:
        ordering = ["kind"]
        indexes = [models.Index(fields=["kind", "valid_until"])]

    def __str__(self) -> str:
        return self.get_kind_display()

    @property
    def is_valid(self) -> bool:
        return self.valid_until is None or self.valid_until >= timezone.localdate()


class ProductPhoto(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="products/%Y/")
    caption = models.CharField(_("caption"), max_length=200, blank=True)

    def __str__(self) -> str:
        return self.caption or self.image.name


class SourcingRequest(models.Model):
    """What a buyer wants to source."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    buyer = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="sourcing_requests"
    )
    title = models.CharField(_("product wanted"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    hs_code = models.ForeignKey(
        HSCode,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("HS code"),
    )
    quantity_amount = models.DecimalField(
        _("quantity"),
        max_digits=14,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    quantity_unit = models.CharField(_("unit"), max_length=12, choices=Unit.choices, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.ONCE
    )
    target_price = models.DecimalField(
        _("target price"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default="USD"
    )
    required_certifications = models.JSONField(
        _("required certifications"), default=list, blank=True
    )
    destination = models.ForeignKey(
        Country,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("destination market"),
    )
    preferred_countries = models.JSONField(
        _("preferred supplier countries"), default=list, blank=True
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    embedding = models.BinaryField(null=True, blank=True, editable=False)
    # The HS suggester's guess for a request without a code, stored with its vector: its
    # supplier page then ranks with the HS agreement without running the suggester.
    hs_guess = models.BinaryField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "deadline"])]

    def __str__(self) -> str:
        return self.title


class ClusterJoinRequest(models.Model):
    """An organisation asks to join a cluster; the cluster's coordinator (or staff) decides.

    Joining gives the coordinator rights over the member, and the member the cluster's name on
    its profile: neither side can do it alone."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        DECLINED = "declined", _("declined")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="cluster_join_requests"
    )
    cluster = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        related_name="join_requests",
        limit_choices_to={"kind": OrgKind.CLUSTER},
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    message = models.TextField(_("message"), blank=True, max_length=1000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "cluster"],
                condition=models.Q(status="requested"),
                name="one_pending_join_request",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation} → {self.cluster} ({self.status})"
