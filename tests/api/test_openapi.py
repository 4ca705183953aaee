"""The OpenAPI document: summaries from docstrings, problem+json errors, both auth schemes."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_openapi_document(client: TestClient) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"] == "camreg"
    listing = schema["paths"]["/api/v1/cameras"]["get"]
    assert listing["operationId"] == "list_cameras_page"
    assert listing["summary"].startswith("List cameras matching every filter")
    assert listing["responses"]["422"]["content"] == {
        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    assert "application/geo+json" in listing["responses"]["200"]["content"]
    assert set(schema["components"]["securitySchemes"]) == {"apiKey", "session"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    upload = schema["paths"]["/api/v1/cameras/import"]["post"]["requestBody"]
    assert "multipart/form-data" in upload["content"]
