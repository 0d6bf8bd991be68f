"""The SDI sandbox's checks and its signed endpoints, in-process (the end-to-end path with
invoicing is services/invoicing/tests/test_sdi.py)."""

from __future__ import annotations

import json

import httpx
from sportello.settings import Settings
from sportello.signing import SDI_HEADER, sign, verify
from sportello_sdi_sandbox.app import check, create_app

SECRET = "test-secret-of-this-run"


def test_a_duplicate_or_badly_named_or_unreadable_file_is_rejected_with_sdi_codes():
    assert check("IT01234560157_1.xml", "<x/>", {"IT01234560157_1.xml"})[1][0]["code"] == "00002"
    assert check("fattura.xml", "<x/>", set())[1][0]["code"] == "00001"
    assert check("IT01234560157_1.xml", "not xml", set())[1][0]["code"] == "00200"


def test_a_signature_is_refused_when_forged_or_stale():
    body = b'{"a": 1}'
    assert verify(SECRET, body, sign(SECRET, body))
    assert not verify(SECRET, body, sign("other", body))
    assert not verify(SECRET, body, sign(SECRET, body, timestamp=1))
    assert not verify(SECRET, body, None)


async def test_an_unsigned_file_is_401_and_a_bad_plan_is_422():
    app = create_app(Settings(sdi_sandbox_secret=SECRET))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        body = json.dumps({"file_name": "IT01234560157_1.xml", "xml": "<x/>"}).encode()
        assert (await c.post("/v1/invoices", content=body)).status_code == 401
        r = await c.post("/v1/invoices", content=body, headers={SDI_HEADER: sign(SECRET, body)})
        assert r.status_code == 202 and r.json()["sdi_id"]
        assert (await c.post("/v1/outcomes", json={"number": "FT-1", "outcomes": ["XX"]})).status_code == 422
        assert (await c.post("/v1/outcomes", json={"outcomes": ["NS"]})).status_code == 422
        assert (await c.post("/v1/outcomes", json={"number": "FT-1", "outcomes": ["NS"]})).status_code == 204
