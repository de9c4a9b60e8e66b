"""The OpenAPI document the app serves is valid against the OpenAPI meta-schema."""

from __future__ import annotations

import copy

import pytest
import schemathesis


async def test_served_document_validates(season, browser_factory):
    response = await (await browser_factory()).get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    schemathesis.openapi.from_dict(document).validate()

    broken = copy.deepcopy(document)
    broken["paths"]["/api/v1/competitions"]["get"]["responses"] = "tidak valid"
    with pytest.raises(Exception):  # noqa: B017 - the validator's own error type varies by version
        schemathesis.openapi.from_dict(broken).validate()
