"""Every error code a service can answer with has its Vietnamese and English text at the gateway.

Vietnamese is the default language of the API: a code missing from the table
would reach a Vietnamese caller in the service's English.
"""

import re
from pathlib import Path

import pytest

from gateway.messages import FIELD_MESSAGES, TITLES, UNPLACED_HINTS
from meetings.domain.model import REASONS
from meetings.features.timetable import UNPLACED_REASONS
from meetings.views import UNPLACED_HINTS as HINT_OF

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*ROOT.glob("services/*/*/**/*.py"), *ROOT.glob("shared/**/*.py")])
PROBLEM_CODES = (r'\bcode="([a-z_]+)"', r'default_code = "([a-z_]+)"')
FIELD_CODES = (r'field_error\([^,()]+,\s*"([a-z_]+)"', r'\b[pP]roblem\(\s*"([a-z_]+)"')


def codes(patterns: tuple[str, ...]) -> set[str]:
    return {code for path in SOURCES for pattern in patterns for code in re.findall(pattern, path.read_text())}


def test_the_scan_finds_the_codes_it_should():
    assert {"already_registered", "booth_taken", "job_not_found"} <= codes(PROBLEM_CODES)
    assert {"province_merged", "tax_code_personal_not_yet", "same_side"} <= codes(FIELD_CODES)


@pytest.mark.parametrize(("table", "patterns"), [(TITLES, PROBLEM_CODES), (FIELD_MESSAGES, FIELD_CODES)])
def test_every_code_has_both_languages(table, patterns):
    missing = sorted(c for c in codes(patterns) if set(table.get(c, {})) != {"vi", "en"})
    assert not missing, f"add Vietnamese and English for: {missing}"


def test_codes_built_from_a_reason_have_both_languages():
    """``tax_code_{reason}`` and ``qr_{reason}`` are built at run time, so the scan cannot see them."""
    tax_reasons = set(
        re.findall(
            r'InvalidTaxCode\(raw, "([a-z_]+)"\)',
            (ROOT / "services/registration/registration/domain/taxcode.py").read_text(),
        )
    )
    qr_reasons = set(
        re.findall(
            r'InvalidQrToken\("([a-z_]+)"\)',
            (ROOT / "services/registration/registration/domain/checkin.py").read_text(),
        )
    )
    assert tax_reasons and qr_reasons
    built = {f"tax_code_{r}" for r in tax_reasons} | {f"qr_{r}" for r in qr_reasons}
    assert not sorted(c for c in built if set(FIELD_MESSAGES.get(c, {})) != {"vi", "en"})


def test_every_unplaced_reason_has_a_hint_in_both_languages():
    """A participant whose meeting has no place reads why and what the organisers can do, in vi or en."""
    assert set(UNPLACED_REASONS) == set(HINT_OF) and set(REASONS) < set(HINT_OF)
    assert all(set(UNPLACED_HINTS.get(code, {})) == {"vi", "en"} for code in HINT_OF.values())
