"""Probe item 1: certificate documents are checked by content, private, and downloaded through
a permission-checking view as attachments that a browser never runs."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from corridor.core import uploads
from corridor.directory.models import Certification
from tests import factories

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<html><script>fetch('/accounts/invitations/')</script>certificate</html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'


@pytest.fixture(autouse=True)
def _folders(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.CORRIDOR_ACCEL_REDIRECT_PREFIX = ""


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (1, 2, 3)).save(out, "PNG")
    return out.getvalue()


def _post_cert(client, org, filename, content, ctype):
    return client.post(
        f"/directory/o/{org.slug}/certifications/new/",
        {
            "kind": Certification._meta.get_field("kind").choices[0][0],
            "issuer": "Cert body",
            "number": "42",
            "document": SimpleUploadedFile(filename, content, content_type=ctype),
        },
    )


@pytest.mark.parametrize(
    ("filename", "content", "ctype"),
    [
        ("cert.html", HTML, "text/html"),
        ("cert.svg", SVG, "image/svg+xml"),
        ("cert.pdf", HTML, "application/pdf"),  # a lying name and type: the content decides
        ("setup.exe", b"MZ\x90\x00" + b"\0" * 100, "application/octet-stream"),
    ],
)
def test_active_or_unknown_content_is_refused(sme, sme_owner, filename, content, ctype):
    client = Client()
    client.force_login(sme_owner)
    r = _post_cert(client, sme, filename, content, ctype)
    assert r.status_code == 200  # the form again, with the error
    assert "Only PDF, JPEG or PNG" in r.content.decode()
    assert not Certification.objects.filter(organisation=sme).exclude(document="").exists()


def test_too_large_is_refused(settings, sme, sme_owner):
    settings.DOCUMENT_MAX_BYTES = 1024
    client = Client()
    client.force_login(sme_owner)
    r = _post_cert(client, sme, "big.pdf", PDF + b"0" * 2048, "application/pdf")
    assert "too large" in r.content.decode()
    assert not Certification.objects.filter(organisation=sme).exclude(document="").exists()


def test_a_damaged_png_is_refused():
    with pytest.raises(ValidationError):
        uploads.validate_document(SimpleUploadedFile("x.png", _png()[:40]))


def test_pdf_is_stored_privately_and_downloaded_as_an_attachment(
    settings, sme, sme_owner, staff_user
):
    client = Client()
    client.force_login(sme_owner)
    r = _post_cert(client, sme, "certificate.html", PDF, "text/html")
    assert r.status_code == 302
    cert = Certification.objects.exclude(document="").get(organisation=sme)
    assert cert.document.name.endswith(".pdf")  # the real type names the file
    assert (settings.PRIVATE_MEDIA_ROOT / cert.document.name).is_file()
    assert not any(settings.MEDIA_ROOT.rglob("*.pdf")) if settings.MEDIA_ROOT.exists() else True
    url = cert.document.url
    assert url.startswith("/files/")
    staff = Client()
    staff.force_login(staff_user)
    for who in (client, staff):
        d = who.get(url)
        assert d.status_code == 200
        assert d["Content-Disposition"].startswith("attachment")
        assert d["X-Content-Type-Options"] == "nosniff"
        assert d["Content-Type"] == "application/pdf"
        assert "sandbox" in d["Content-Security-Policy"]
        assert b"".join(d.streaming_content) == PDF
    # The profile links it for who may download it.
    assert url in client.get(f"/directory/o/{sme.slug}/").content.decode()


def test_download_is_refused_to_visitors_and_strangers(sme, sme_owner):
    cert = factories.CertificationFactory(organisation=sme)
    cert.document.save("x.pdf", SimpleUploadedFile("x.pdf", PDF))
    url = cert.document.url
    visitor = Client().get(url)
    assert visitor.status_code == 302 and "/accounts/login/" in visitor["Location"]
    stranger = Client()
    stranger.force_login(factories.UserFactory())
    assert stranger.get(url).status_code == 404
    # /media/ does not serve it either: it is not there.
    assert Client().get("/media/" + cert.document.name).status_code == 404


def test_production_hands_the_file_to_the_web_server(settings, sme, staff_user):
    settings.CORRIDOR_ACCEL_REDIRECT_PREFIX = "/protected/"
    cert = factories.CertificationFactory(organisation=sme)
    cert.document.save("x.pdf", SimpleUploadedFile("x.pdf", PDF))
    staff = Client()
    staff.force_login(staff_user)
    r = staff.get(cert.document.url)
    assert r.status_code == 200
    assert r["X-Accel-Redirect"] == "/protected/" + cert.document.name
    assert r["Content-Disposition"].startswith("attachment")
    assert r.content == b""


def test_png_and_jpeg_are_accepted_by_content():
    assert uploads.validate_document(SimpleUploadedFile("scan.PNG", _png())) == "image/png"
    out = io.BytesIO()
    Image.new("RGB", (20, 20)).save(out, "JPEG")
    upload = SimpleUploadedFile("scan.jpeg", out.getvalue())
    assert uploads.validate_document(upload) == "image/jpeg"
    assert upload.name.endswith(".jpg")
