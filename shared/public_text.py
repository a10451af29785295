"""Names that are published to every province must not carry a way to reach a person.

Edition titles and venues, series, session, hall, zone and quota-group names,
product names and MOU titles travel on the public exchange to every province
that subscribes.  Organisers sometimes type a contact into them ("Hội trường A
- liên hệ 0912 345 678"); such text is refused where it enters, with a message
saying why, rather than scrubbed on the way out (a scrubbed name would differ
from what the organiser sees).  Plain Python: the floor-plan parser uses it too.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# a telephone number: + or 0, then at least 8 more digits with single spaces, dots or hyphens between;
# not the tail of a reference such as "HĐ/2025-0001234567"
_PHONE = re.compile(r"(?<![\w/-])(?:\+|0)\d(?:[ .-]?\d){7,12}(?!\d)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)

MESSAGE = (
    "This text is published to every province: leave out telephone numbers, e-mail addresses and "
    "links (contacts belong in the organisation's delegates)."
)


def contact_details(text: str) -> str | None:
    """What kind of contact ``text`` carries (``email``, ``phone``, ``link``), or None."""
    for kind, pattern in (("email", _EMAIL), ("phone", _PHONE), ("link", _URL)):
        if pattern.search(text):
            return kind
    return None
