"""How many examples a property test (hypothesis) tries, by tier.

The full suite (``make test``, what CI runs) tries each property's own number. The
unit tier (``pytest -m unit``, the loop you run while you work) loads the ``unit``
profile (tests/conftest.py): a tenth of each number, at least ten. A profile named in
``HYPOTHESIS_PROFILE`` wins (``HYPOTHESIS_PROFILE=default pytest -m unit`` for the full
numbers); ``make fuzz`` and the LEADROUTER_*_EXAMPLES variables search longer.
"""

from typing import Any

from hypothesis import settings

UNIT_PROFILE = "unit"
settings.register_profile(UNIT_PROFILE, max_examples=10)


def examples(count: int, **options: Any) -> settings:
    """Settings for ``count`` examples in the full suite, scaled down in the unit tier
    (the loaded profile's share of hypothesis's default 100), without a deadline."""
    share = settings.default.max_examples / 100 if settings.default is not None else 1
    return settings(max_examples=max(10, round(count * share)), deadline=None, **options)
