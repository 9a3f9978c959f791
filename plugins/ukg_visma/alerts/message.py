"""What an alert says, built from plain facts (no Airflow import: tested on its own).

One text for every channel: a person reading it on a phone learns which DAG, run, pay period and
task, what went wrong in one line, and where to click. Never a connection, a token, the run's
conf or a payload: the error summary is the exception's first line, passed through Airflow's
secret masker by the caller.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Literal

SUMMARY_LIMIT = 300


@dataclass(frozen=True)
class Alert:
    kind: Literal["task_failed", "deadline_missed"]
    dag_id: str
    run_id: str
    period: str | None = None
    task_id: str | None = None
    outcome: str | None = None
    """How the task ended: "not retried: ..." or "retries exhausted after N attempts"."""
    error: str | None = None
    run_url: str | None = None
    report_url: str | None = None
    deadline: str | None = None
    """The missed deadline, Oslo time, e.g. ``2026-11-05 23:59 Europe/Oslo``."""

    @property
    def subject(self) -> str:
        period = f"pay period {self.period}" if self.period else "no pay period"
        if self.kind == "deadline_missed":
            return f"[ukg-visma] LATE: {period} not posted by {self.deadline} ({self.dag_id})"
        return f"[ukg-visma] FAILED: {self.dag_id} · {period} · task {self.task_id}"

    def rows(self) -> list[tuple[str, str]]:
        """Label → value, in reading order; empty values left out."""
        rows = [
            ("DAG", self.dag_id),
            ("Run", self.run_id),
            ("Pay period", self.period or ""),
            ("Task", self.task_id or ""),
            ("Outcome", self.outcome or ""),
            ("Deadline", self.deadline or ""),
            ("Error", self.error or ""),
            ("Run in Airflow", self.run_url or ""),
            ("Run report", self.report_url or ""),
        ]
        return [(k, v) for k, v in rows if v]

    @property
    def text(self) -> str:
        return self.subject + "\n\n" + "\n".join(f"{k}: {v}" for k, v in self.rows()) + "\n"

    @property
    def html(self) -> str:
        def cell(key: str, value: str) -> str:
            shown = html.escape(value)
            if value.startswith(("http://", "https://")):
                shown = f'<a href="{html.escape(value, quote=True)}">{shown}</a>'
            return f"<tr><th align='left'>{html.escape(key)}</th><td>{shown}</td></tr>"

        body = "".join(cell(k, v) for k, v in self.rows())
        return f"<p>{html.escape(self.subject)}</p><table>{body}</table>"


def error_summary(exc: BaseException | str | None, lines: int = 3) -> str:
    """``Type: first lines`` of the error (a heading ending in ":" is followed by what it
    introduces), joined with " / " and cut to ``SUMMARY_LIMIT`` characters."""
    if exc is None:
        return ""
    raw = [ln.strip() for ln in str(exc).strip().splitlines() if ln.strip()][:lines]
    first = " / ".join(raw)
    if isinstance(exc, BaseException):
        text = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    else:
        text = first
    return text if len(text) <= SUMMARY_LIMIT else text[: SUMMARY_LIMIT - 1] + "…"
