"""factory_boy factories for the domain models."""

from __future__ import annotations

import factory
from django.utils.text import slugify

from corridor.accounts.models import Membership, User
from corridor.connections.models import Connection
from corridor.directory.models import (
    Certification,
    Country,
    HSCode,
    Organisation,
    Product,
    Province,
    SourcingRequest,
)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-Word-123")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):  # noqa: N805
        if create:
            obj.save()


class CountryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Country
        django_get_or_create = ("code",)

    code = "KH"
    name = factory.LazyAttribute(lambda c: {"KH": "Cambodia", "VN": "Viet Nam"}.get(c.code, c.code))


class ProvinceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Province
        django_get_or_create = ("code",)

    country = factory.SubFactory(CountryFactory)
    code = factory.Sequence(lambda n: f"KH-{n + 1}")
    name = factory.Sequence(lambda n: f"Province {n}")


class HSCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HSCode
        django_get_or_create = ("code",)

    code = "100630"
    description = "Rice; semi-milled or wholly milled"
    level = factory.LazyAttribute(lambda h: len(h.code))


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    kind = "sme"
    name = factory.Sequence(lambda n: f"Enterprise {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.name))
    country = factory.SubFactory(CountryFactory)
    is_published = True
    phone = "+855 12 345 678"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "owner"


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    description = "A product"


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Certification

    organisation = factory.SubFactory(OrganisationFactory)
    kind = "organic"


class SourcingRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SourcingRequest

    buyer = factory.SubFactory(OrganisationFactory, kind="buyer")
    title = factory.Sequence(lambda n: f"Request {n}")


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    from_org = factory.SubFactory(OrganisationFactory)
    to_org = factory.SubFactory(OrganisationFactory)


class ContactPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "directory.ContactPerson"

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.LazyAttribute(lambda c: f"contact{c.organisation.pk}@example.com")
