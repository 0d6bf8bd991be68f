"""The conditions of sale: the version in force and each older one an order was placed under."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from sportello.contracts.legal import TERMS_PATH, TERMS_VERSION

from sportello_storefront.web import render

router = APIRouter()

TERMS_DIR = Path(__file__).resolve().parent.parent / "templates" / "condizioni"


def seller(request: Request) -> dict[str, str]:
    s = request.app.state.settings
    return {"name": s.business_name, "address": s.business_address,
            "vat_number": s.business_vat_number, "email": s.business_email}


@router.get(TERMS_PATH)
@router.get(TERMS_PATH + "/{version}")
async def terms_page(request: Request, version: str = TERMS_VERSION):
    # Only names of the versions' own templates: a path never reaches the template loader.
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", version) or not (TERMS_DIR / f"{version}.html").is_file():
        raise HTTPException(404)
    return render(request, "terms.html", version=version, current=TERMS_VERSION,
                  seller=seller(request))
