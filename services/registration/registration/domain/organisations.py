"""What an organisation on file and its products look like when first written (plain rules, no I/O).

The organisation's identity key (``org_key``, unique in the store) is what
makes two registrations the same organisation; the folded ``search`` texts
are what lists search in.  The public form, the organisation endpoint and a
confirmed claim all shape new organisations and products here.
"""

from __future__ import annotations

from typing import Any

from registration.domain.folding import fold
from registration.store import now
from shared.ids import new_id


def org_key(org: dict[str, Any]) -> str:
    """The identity that makes two registrations the same organisation."""
    if org.get("tax_code"):
        return f"vn:{org['tax_code']}"
    return f"{org['foreign']['country']}:{fold(org['foreign']['registration_no']).replace(' ', '')}"


def new_organisation(data: dict[str, Any]) -> dict[str, Any]:
    """A validated organisation (``OrganisationIn``) with ids for it and its delegates."""
    delegates = {new_id("dlg"): d for d in data.pop("delegates", [])}
    return {
        **data,
        "_id": new_id("org"),
        "org_key": org_key(data),
        "delegates": delegates,
        "search": fold(" ".join(filter(None, data["legal_name"].values()))),
        "version": 1,
        "created_at": now(),
    }


def new_products(organisation_id: str, products: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validated products (``ProductIn``) of one organisation, with their ids fixed now."""
    return [
        {
            **data,
            "_id": new_id("prd"),
            "organisation_id": organisation_id,
            "search": fold(" ".join(filter(None, data["name"].values()))),
            "created_at": now(),
        }
        for data in products
    ]
