"""Where run reports land: ``{paths.reports}/{flow}/{period}/{run}/``, one folder per DAG run.

Reports are for people (controllers, HR); they hold no secret and no more personal data than the
finding needs (employee numbers, never names or pay details beyond the amounts of a bad row).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ukg_visma.settings import Settings

_SAFE = re.compile(r"[^A-Za-z0-9_.=-]+")


def report_dir(settings: Settings, ctx: Any) -> Path:
    flow = getattr(ctx, "flow", None) or ctx.audit_run_id.split(":", 1)[0]
    folder = settings.reports_dir() / flow / ctx.period.key / _SAFE.sub("_", ctx.run_key)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_report(
    settings: Settings, ctx: Any, name: str, *, markdown: str, csv: str | None = None
) -> dict[str, str]:
    folder = report_dir(settings, ctx)
    paths = {"markdown": str(folder / f"{name}.md")}
    (folder / f"{name}.md").write_text(markdown, encoding="utf-8")
    if csv is not None:
        (folder / f"{name}.csv").write_text(csv, encoding="utf-8")
        paths["csv"] = str(folder / f"{name}.csv")
    return paths
