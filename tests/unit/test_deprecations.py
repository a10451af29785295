"""A deprecation our own code triggers fails the tests; one inside a third-party library does not.

The filters are pyproject.toml's ``filterwarnings``; Python attributes a warning to the module of
the frame its ``stacklevel`` points at, which is what their module patterns match.
"""

import locale
import warnings

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "shared.timestamps",
        "booths.store",
        "gateway.http",
        "meetings.views",
        "notifications.delivery",
        "registration",
        "tests.support.api",
        "scripts.stack",
        "demo.load",
        "bench.idle",
    ],
)
def test_a_deprecation_raised_from_the_project_is_an_error(module):
    with pytest.raises(DeprecationWarning, match="old way"):
        warnings.warn_explicit(
            "the old way", DeprecationWarning, f"{module.replace('.', '/')}.py", 1, module=module, registry={}
        )


@pytest.mark.parametrize(
    "module", ["eventlet.support.greenlets", "nameko.web.server", "sharedlib", "gateways", "testsuite"]
)
def test_a_deprecation_inside_a_third_party_library_stays_silent(module):
    with warnings.catch_warnings(record=True) as caught:
        warnings.warn_explicit("the old way", DeprecationWarning, f"{module}.py", 1, module=module, registry={})
    assert caught == []


def test_a_deprecated_standard_library_call_made_here_is_an_error():
    with pytest.raises(DeprecationWarning, match="getdefaultlocale"):
        locale.getdefaultlocale()  # deprecated in 3.11, warning at its caller's line (stacklevel=2)
