"""Diacritics-insensitive search keys.

Users type "dak lak" or "thanh hoa" for "Đắk Lắk" and "Thanh Hóa"; both spellings of the
tone mark ("Hóa"/"Hoá") and precomposed vs. decomposed input must also meet. The service
stores ``fold(name)`` next to the name and matches ``search_pattern(query)`` against it.
"""

from __future__ import annotations

import re
import unicodedata

# "đ" is a letter of its own, not "d" plus a mark, so NFD leaves it alone.
_STROKE_D = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str) -> str:
    """Lower-case ASCII-ish key: no combining marks, đ→d, single spaces, no edges."""
    decomposed = unicodedata.normalize("NFD", text.translate(_STROKE_D))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def search_pattern(query: str) -> str:
    """Regex (for a Mongo ``$regex`` on the folded field) matching the folded query as a
    phrase anywhere in the value. Every term is escaped, so user input cannot inject regex
    syntax. An empty query gives "" which matches everything; callers skip the filter then.
    """
    return " ".join(re.escape(term) for term in fold(query).split(" ") if term)
