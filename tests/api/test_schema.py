"""The OpenAPI schema and the docs page."""

from __future__ import annotations

import re

from django.contrib.staticfiles import finders


def test_openapi_schema_lists_paths(anon, db):
    response = anon.get("/api/v1/openapi.json")

    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/v1/clusters",
        "/api/v1/organisations",
        "/api/v1/organisations/{org_id}",
        "/api/v1/products",
        "/api/v1/certifications",
        "/api/v1/sourcing-requests",
        "/api/v1/provinces",
        "/api/v1/countries",
        "/api/v1/corridors",
        "/api/v1/border-crossings",
        "/api/v1/hs-codes",
        "/api/v1/connections",
        "/api/v1/me/tokens",
    ]:
        assert path in paths


def test_openapi_schema_documents_error_shape_and_bearer(anon, db):
    schema = anon.get("/api/v1/openapi.json").json()

    responses = schema["paths"]["/api/v1/organisations/{org_id}"]["patch"]["responses"]
    assert responses["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOut"
    }
    schemes = schema["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"} in schemes.values()


def test_docs_page_uses_only_local_assets(anon, db):
    response = anon.get("/api/v1/docs")

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r"https?://", html) == []
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "/static/ninja/swagger-ui.css" in html
    assert finders.find("ninja/swagger-ui-bundle.js") is not None
    assert finders.find("ninja/swagger-ui.css") is not None
    assert '"validatorUrl": null' in html
