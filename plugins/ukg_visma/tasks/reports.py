"""Where run reports land: ``{paths.reports}/{flow}/{scope}/{run}/``, one folder per DAG run.

``scope`` is the pay period (``payroll_gl``) or the day (``employee_sync``); the alignment has
none (``{paths.reports}/alignment/{run}/``). This is the one writer of every flow's reports.

Reports are for people (controllers, HR); they hold no secret and no more personal data than the
finding needs (employee numbers, never names or pay details beyond the amounts of a bad row).
"""

from __future__ import annotations

from pathlib import Path

from ukg_visma.run_folders import path_part
from ukg_visma.settings import Settings
from ukg_visma.tasks.context import RunContext


def report_dir(settings: Settings, ctx: RunContext) -> Path:
    folder = settings.reports_dir() / ctx.flow
    if ctx.scope:
        folder = folder / ctx.scope
    folder = folder / path_part(ctx.run_key)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_report(
    settings: Settings, ctx: RunContext, name: str, *, markdown: str, csv: str | None = None
) -> dict[str, str]:
    """``{name}.md`` (and ``{name}.csv``) in the run's report folder; their paths."""
    folder = report_dir(settings, ctx)
    paths = {"markdown": str(folder / f"{name}.md")}
    (folder / f"{name}.md").write_text(markdown, encoding="utf-8")
    if csv is not None:
        (folder / f"{name}.csv").write_text(csv, encoding="utf-8")
        paths["csv"] = str(folder / f"{name}.csv")
    return paths
