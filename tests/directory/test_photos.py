"""Product photos: shrunk, stripped of metadata, limited, removable, and only by the owner."""

from __future__ import annotations

import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from corridor.directory import photos
from corridor.directory.models import ProductPhoto
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _jpeg(width=3000, height=2000, gps=True) -> SimpleUploadedFile:
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    if gps:
        exif[0x8825] = {1: "N", 2: (10.0, 45.0, 0.0)}  # GPSInfo: where the phone was
    exif[0x0112] = 6  # orientation: rotate 90° to show upright
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return SimpleUploadedFile("IMG_0001.jpg", out.getvalue(), content_type="image/jpeg")


def _form_data(product, **extra):
    from corridor.directory.forms import ProductForm

    # As the edit page shows it: from the database (the form carries a fingerprint of it).
    form = ProductForm(instance=type(product).objects.get(pk=product.pk))
    data = {name: form[name].value() for name in form.fields if form[name].value() is not None}
    data.pop("photo", None)
    data.pop("remove_photos", None)
    data["markets"] = ", ".join(product.markets or [])
    return {**data, **extra}


def test_prepare_shrinks_turns_upright_and_drops_metadata():
    prepared = photos.prepare(_jpeg())
    with Image.open(prepared) as image:
        assert max(image.size) == photos.MAX_SIDE
        assert image.size == (1067, 1600)  # the orientation tag was applied, then dropped
        assert not image.getexif()


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"%PDF-1.4 not an image", "not a photo"), (b"\xff\xd8\xff" + b"\0" * 50, "not a photo")],
)
def test_prepare_refuses_what_is_not_an_image(content, message):
    with pytest.raises(ValidationError, match=message):
        photos.prepare(SimpleUploadedFile("x.jpg", content))


def test_prepare_refuses_oversized_uploads(monkeypatch):
    monkeypatch.setattr(photos, "MAX_UPLOAD_BYTES", 100)
    with pytest.raises(ValidationError, match="too large"):
        photos.prepare(_jpeg(100, 100))


def test_owner_adds_and_removes_a_photo_through_the_product_form(
    client, sme, sme_owner, django_capture_on_commit_callbacks
):
    product = factories.ProductFactory(organisation=sme)
    client.force_login(sme_owner)
    url = reverse("directory:product_edit", args=[product.pk])
    response = client.post(url, _form_data(product, photo=_jpeg()))
    assert response.status_code == 302, response.content.decode()[:2000]
    photo = ProductPhoto.objects.get(product=product)
    assert photo.image.name.endswith(".jpg") and "IMG_0001" not in photo.image.name
    path = photo.image.path
    profile = client.get(reverse("directory:organisation", args=[sme.slug])).content.decode()
    assert photo.image.url in profile

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, _form_data(product, remove_photos=[photo.pk]))
    assert response.status_code == 302
    assert not ProductPhoto.objects.filter(product=product).exists()
    assert not os.path.exists(path)  # the file goes once the removal is committed


def test_a_product_has_at_most_max_photos(client, sme, sme_owner, monkeypatch):
    monkeypatch.setattr(photos, "MAX_PHOTOS", 1)
    product = factories.ProductFactory(organisation=sme)
    client.force_login(sme_owner)
    url = reverse("directory:product_edit", args=[product.pk])
    assert client.post(url, _form_data(product, photo=_jpeg(50, 50))).status_code == 302
    response = client.post(url, _form_data(product, photo=_jpeg(50, 50)))
    assert response.status_code == 200
    assert "at most 1 photos: remove one first" in response.content.decode()
    # Removing one in the same save makes room.
    kept = ProductPhoto.objects.get(product=product)
    response = client.post(url, _form_data(product, photo=_jpeg(50, 50), remove_photos=[kept.pk]))
    assert response.status_code == 302
    assert ProductPhoto.objects.filter(product=product).count() == 1


def test_a_bad_file_is_refused_with_a_message_and_nothing_saved(client, sme, sme_owner):
    product = factories.ProductFactory(organisation=sme, name="Before")
    client.force_login(sme_owner)
    url = reverse("directory:product_edit", args=[product.pk])
    fake = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")
    response = client.post(url, _form_data(product, name="After", photo=fake))
    assert response.status_code == 200
    assert "photo" in response.content.decode().lower()
    product.refresh_from_db()
    assert product.name == "Before" and not product.photos.exists()


def test_another_organisations_member_cannot_add_a_photo(client, sme, sme_owner):
    other = factories.ProductFactory()  # belongs to another enterprise
    client.force_login(sme_owner)
    url = reverse("directory:product_edit", args=[other.pk])
    response = client.post(url, _form_data(other, photo=_jpeg(50, 50)))
    assert response.status_code in (403, 404)
    assert not ProductPhoto.objects.exists()
