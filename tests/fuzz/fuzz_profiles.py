"""Hypothesis profiles for the fuzz tests: small by default, hundreds of examples in the campaign.

``HYPOTHESIS_PROFILE=campaign`` (or ``nightly``) selects the big one; ``make reliability`` sets
it. Imported by each fuzz module (a plain module, not a conftest).
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow], "derandomize": True}
settings.register_profile("default", max_examples=60, **_COMMON)
settings.register_profile("campaign", max_examples=600, **_COMMON)
settings.register_profile("nightly", max_examples=2000, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
