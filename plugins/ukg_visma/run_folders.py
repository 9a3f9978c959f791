"""How a run id becomes a folder name, for whoever writes a run's files and whoever reads them.

The task runtime writes staging files and reports under a folder named after the Airflow run id
(``tasks.staging``, ``tasks.reports``); the report page (``ui.report_page``) finds them by the
same name. Both sides import the rule from here, below them, so the UI never reaches up into the
task layer for it.
"""

from __future__ import annotations

import re

_UNSAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


def path_part(text: str) -> str:
    """``text`` as one safe path segment (run ids hold ``:`` and ``+``)."""
    return _UNSAFE.sub("_", text)
