"""Phone numbers of delegates, stored in E.164 so that the same person typed as
"0912 345 678" or "+84 912 345 678" is one value (dedup, SMS gateways, exports)."""

from __future__ import annotations

import phonenumbers


class InvalidPhone(ValueError):
    def __init__(self, raw: str) -> None:
        super().__init__(f"invalid phone number: {raw!r}")
        self.raw = raw


def normalise_phone(raw: str, default_region: str = "VN") -> str:
    """E.164 form of ``raw``; local numbers are read in ``default_region``.

    Foreign buyers give numbers with their country code and are accepted as such.
    Numbers that are merely possible (right length) but not valid, such as the
    11-digit mobile numbers retired in 2018, are rejected.
    """
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone(raw) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
