"""Typed access to ``include/mappings/settings.yaml``.

One loader so that every DAG and task reads the same, validated settings; a typo in the YAML is a
clear error at task start instead of a silent default on payday.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MAPPINGS_DIR = Path(__file__).resolve().parents[2] / "include" / "mappings"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CompanySettings(_Strict):
    ukg_company_code: str
    visma_branch: str = "1"
    ledger: str = "1"
    currency: str = "NOK"
    tenant: str


class PayrollSettings(_Strict):
    pay_groups: list[str]
    schedule: str = "0 6 1 * *"
    period_key_format: str = "%Y-%m"
    line_limit: int = Field(1000, ge=2, le=10000)
    release: bool = True
    approval_required: bool = False
    transaction_code: str = "GEN"
    # A new GL version of a run already in Visma: post the difference as an adjustment journal
    # (delta), or reverse the earlier journals and post the new version in full.
    correction_mode: Literal["delta", "reverse_and_repost"] = "delta"
    # A pay period closed in Visma's GL: stop before posting and say what to reopen (fail), or
    # post into the next open period, keeping the pay period in the description and the audit.
    closed_period: Literal["fail", "post_to_next_open_period"] = "fail"


class SegmentSetting(_Strict):
    ukg_level: int = Field(ge=1, le=4)
    segment_id: int = Field(ge=1)
    name: str
    default: str


class EmployeeSyncSettings(_Strict):
    schedule: str = "0 */3 * * *"
    overlap_minutes: int = Field(15, ge=0)
    batch_size: int = Field(50, ge=1)
    alarm_after_failed_runs: int = Field(3, ge=1)
    # Visma requires these on a new employee; UKG has no equivalent, so finance chooses them once.
    visma_employee_class: str = "EMPSTAND"
    visma_calendar: str = "MAIN"


class AlignmentSettings(_Strict):
    write_cost_centers_to_ukg: bool = False
    conflict_winner: Literal["none", "ukg", "visma"] = "none"


class RetrySettings(_Strict):
    """Task-level retries (``tasks.runtime.retry_policy``). A transient error (``Retryable``) is
    retried ``transient_retries`` times, ``first_delay_seconds`` doubling up to
    ``max_delay_seconds`` — 30 s, 1, 2, 4, 5, 5 min by default: 17.5 min, enough to ride out a
    15-minute outage. An error of no known kind (a bug, a library error) gets
    ``unknown_error_retries``; a permanent one (``NotRetryable``) none."""

    transient_retries: int = Field(6, ge=0, le=50)
    first_delay_seconds: float = Field(30, gt=0)
    max_delay_seconds: float = Field(300, gt=0)
    unknown_error_retries: int = Field(2, ge=0)


class RetentionSettings(_Strict):
    """How long the audit store keeps personal data (``docs/personal-data.md``);
    ``ukg-visma audit purge`` deletes what is older."""

    personal_data_days: int = Field(400, ge=1)


class PathSettings(_Strict):
    staging: str
    reports: str


class Settings(_Strict):
    company: CompanySettings
    payroll: PayrollSettings
    segments: list[SegmentSetting]
    employee_sync: EmployeeSyncSettings = EmployeeSyncSettings()
    alignment: AlignmentSettings = AlignmentSettings()
    retries: RetrySettings = RetrySettings()
    retention: RetentionSettings = RetentionSettings()
    paths: PathSettings

    def staging_path(self) -> str:
        return self.paths.staging.format(airflow_home=airflow_home())

    def reports_dir(self) -> Path:
        return Path(self.paths.reports.format(airflow_home=airflow_home()))


def airflow_home() -> str:
    return os.environ.get("AIRFLOW_HOME", str(Path.home() / "airflow"))


def mappings_dir() -> Path:
    """Where finance keeps the reviewed mapping files (overridable for tests and deployments)."""
    return Path(os.environ.get("UKG_VISMA_MAPPINGS_DIR", DEFAULT_MAPPINGS_DIR))


@lru_cache(maxsize=8)
def _load(path: Path, mtime: float) -> Settings:
    with path.open(encoding="utf-8") as fh:
        return Settings.model_validate(yaml.safe_load(fh))


def load_settings(directory: Path | None = None) -> Settings:
    path = (directory or mappings_dir()) / "settings.yaml"
    return _load(path, path.stat().st_mtime)
